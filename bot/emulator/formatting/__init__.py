"""Turn formatted text (HTML, MarkdownV2, legacy Markdown) into plain text + entities.

Telegram never stores markup: it parses ``parse_mode`` text into plain text and a
list of MessageEntity objects (offsets in UTF-16 code units), and it *rejects*
malformed markup with ``400 Bad Request: can't parse entities: ...``. Emulating
both matters: tests assert on what the user actually sees ("Welcome, Alice",
not "Welcome, <b>Alice</b>"), and the rejection catches the classic bug of
interpolating unescaped user input into HTML. Error wording follows TDLib's
parser so bot code that inspects it behaves the same here.
"""

from __future__ import annotations

import re

from bot.emulator.errors import bad_request
from bot.emulator.formatting.html import parse_html
from bot.emulator.formatting.markdown import parse_markdown, parse_markdown_v2
from bot.emulator.formatting.text import Entity, FormattedText, utf16_len

__all__ = [
    "Entity",
    "FormattedText",
    "auto_entities",
    "format_text",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]


def _strip(formatted: FormattedText) -> FormattedText:
    """Trim surrounding whitespace like Telegram does, shifting entity offsets."""
    text = formatted.text
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    shift = utf16_len(text[:lead])
    limit = utf16_len(stripped)
    entities: list[Entity] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def format_text(
    raw: str, parse_mode: str | None, entities: list[Entity] | None = None
) -> FormattedText:
    """Parse ``raw`` per ``parse_mode`` (or take explicit entities) and trim it."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parsed = parse_html(raw)
    elif mode == "markdownv2":
        parsed = parse_markdown_v2(raw)
    elif mode == "markdown":
        parsed = parse_markdown(raw)
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    else:
        parsed = FormattedText(raw, [dict(e) for e in entities or []])
    return _strip(parsed)


_AUTO_PATTERNS = [
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}")),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
    ("url", re.compile(r"\bhttps?://[^\s<>\"']+")),
]


def auto_entities(text: str) -> list[Entity]:
    """Entities Telegram detects by itself in user text (commands, mentions, links)."""
    found: list[Entity] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    return sorted(found, key=lambda e: (e["offset"], -e["length"]))
