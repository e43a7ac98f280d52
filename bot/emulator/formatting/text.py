"""Plain text, entities and the builder the parsers share (offsets in UTF-16 units)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import BotAPIError, bad_request

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_error(detail: str) -> BotAPIError:
    return bad_request(f"can't parse entities: {detail}")


def byte_offset(raw: str, index: int) -> int:
    # Telegram reports positions as UTF-8 byte offsets into the source text.
    return len(raw[:index].encode("utf-8"))


@dataclass
class FormattedText:
    """Plain text as the recipient sees it plus its entities."""

    text: str
    entities: list[Entity] = field(default_factory=list)


@dataclass
class OpenEntity:
    """An entity whose end has not been seen yet."""

    kind: str
    offset: int
    begin: int  # source index, for error messages
    extra: dict[str, Any] = field(default_factory=dict)


class TextBuilder:
    """Accumulates plain text and tracks the UTF-16 length incrementally."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[Entity] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def close(self, kind: str, start: int, **extra: Any) -> None:
        if self.length > start:
            entity: Entity = {"type": kind, "offset": start, "length": self.length - start}
            entity.update({k: v for k, v in extra.items() if v is not None})
            self.entities.append(entity)

    def result(self) -> FormattedText:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.parts), entities)
