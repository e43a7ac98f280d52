"""Telegram's text limits, measured as Telegram measures them: UTF-16 code units of
the visible text, after HTML parsing (an emoji counts two, a tag nothing, ``&amp;``
one). One rule for every caller: the sender's safety net (bot.long_text) and the
places that fit a text on purpose (handlers.tickets.sizes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape, unescape

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_ANY_TAG = re.compile(r"<[^>]+>")
MORE = "…"


def units(text: str) -> int:
    """The length Telegram measures: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    return units(unescape(_ANY_TAG.sub("", html_text)))


def cut(text: str, room: int) -> int:
    """How many characters of ``text`` fit in ``room`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return index
    return len(text)


def _depth(html_line: str, depth: int) -> int:
    """Open tags after ``html_line``, starting from ``depth`` open before it."""
    for match in _TAG.finditer(html_line):
        depth += -1 if match.group(1) else 1
    return depth


def _plain_pieces(text: str, limit: int) -> list[str]:
    """Plain ``text`` in pieces of at most ``limit``, broken at a line end or a space
    when one is near."""
    pieces = []
    while units(text) > limit:
        end = cut(text, limit)
        soft = max(text.rfind("\n", 0, end), text.rfind(" ", 0, end))
        if soft > end * 3 // 4:
            end = soft
        pieces.append(text[:end])
        text = text[end:].lstrip("\n ")
    if text:
        pieces.append(text)
    return pieces


def split_text(text: str, limit: int = TEXT_LIMIT, *, html: bool = True) -> list[str]:
    """``text`` as messages of at most ``limit``: whole lines together, broken only
    where no tag is open (so each part is valid HTML on its own). A single line longer
    than the limit, or a tag open across more than a message, is sent as plain text
    in pieces rather than lost."""
    if not html:
        return _plain_pieces(text, limit)
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = depth = 0
    for line in text.split("\n"):
        line_size = visible_length(line)
        if depth == 0 and current and size + 1 + line_size > limit:
            parts.append("\n".join(current))
            current, size = [], 0
        if depth == 0 and line_size > limit:
            parts += [escape(p) for p in _plain_pieces(unescape(_ANY_TAG.sub("", line)), limit)]
            continue
        size += line_size + (1 if current else 0)
        current.append(line)
        depth = max(_depth(line, depth), 0)
        if size > limit:  # a tag held open too long: this stretch goes as plain text
            plain = unescape(_ANY_TAG.sub("", "\n".join(current)))
            pieces = _plain_pieces(plain, limit)
            parts += [escape(p) for p in pieces[:-1]]
            current, size = [escape(pieces[-1])], units(pieces[-1])
            depth = 0
    if current:
        parts.append("\n".join(current))
    return [p for p in parts if p.strip()]


def shorten(text: str, limit: int, *, html: bool = True) -> str:
    """``text`` cut to ``limit`` with "…" (an edit or a caption cannot be split)."""
    parts = split_text(text, limit - 2, html=html)
    if len(parts) <= 1:
        return text
    return f"{parts[0]}\n{MORE}"


def fit_lines(lines: Sequence[str], limit: int = TEXT_LIMIT) -> str:
    """Join HTML lines, dropping whole lines at the end if they do not fit."""
    kept: list[str] = []
    used = 0
    for line in lines:
        size = visible_length(line) + 1
        if used + size > limit - 2:
            kept.append(MORE)
            break
        kept.append(line)
        used += size
    return "\n".join(kept)
