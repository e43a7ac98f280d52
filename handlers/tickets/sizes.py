"""Fitting ticket texts into Telegram's message and caption limits.

Telegram counts a text's length in UTF-16 code units after HTML parsing (an emoji
counts two). A relayed message too long for one message is split into numbered
parts, never cut.
"""

from __future__ import annotations

from html import escape

from core.text_limits import CAPTION_LIMIT, TEXT_LIMIT, cut, fit_lines, units, visible_length

__all__ = ["CAPTION_LIMIT", "TEXT_LIMIT", "fit_lines", "fits", "split_with_header", "with_header"]

_PART_MARK = " (99/99)"  # room kept for a part number


def with_header(header_html: str, body: str, limit: int = TEXT_LIMIT) -> str:
    """An HTML header line and a user's raw text below it, cut to fit Telegram's limit
    (cutting the raw text, never the escaped HTML, so no entity is broken)."""
    room = limit - visible_length(header_html) - 1
    if units(body) > room:
        body = body[: cut(body, max(room - 1, 0))] + "…"
    return f"{header_html}\n{escape(body)}" if body else header_html


def fits(header_html: str, body: str, limit: int = TEXT_LIMIT) -> bool:
    return visible_length(header_html) + 1 + units(body) <= limit


def split_with_header(header_html: str, body: str, limit: int = TEXT_LIMIT) -> list[str]:
    """The header and the whole of ``body`` as one message, or as numbered parts
    ("(1/3)" …) each within ``limit``, broken at a line end or a space when one is
    near; nothing is cut."""
    if fits(header_html, body, limit):
        return [f"{header_html}\n{escape(body)}" if body else header_html]
    first_room = limit - visible_length(header_html) - units(_PART_MARK) - 1
    rest_room = limit - units(_PART_MARK) - 1
    chunks: list[str] = []
    remaining = body
    room = first_room
    while remaining:
        end = cut(remaining, room)
        skip = 0
        if end < len(remaining):
            soft = max(remaining.rfind("\n", 0, end), remaining.rfind(" ", 0, end))
            if soft > end * 3 // 4:
                end, skip = soft, 1  # the break itself: Telegram trims it anyway
        chunks.append(remaining[:end])
        remaining = remaining[end + skip :]
        room = rest_room
    total = len(chunks)
    parts = [f"{header_html} ({1}/{total})\n{escape(chunks[0])}"]
    parts += [f"({n}/{total})\n{escape(c)}" for n, c in enumerate(chunks[1:], start=2)]
    return parts
