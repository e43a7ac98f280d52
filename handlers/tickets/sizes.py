"""Fitting ticket texts into Telegram's message and caption limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape, unescape

TEXT_LIMIT = 4096  # Telegram counts visible characters, after HTML parsing
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]+>")


def visible_length(html_text: str) -> int:
    return len(unescape(_TAG.sub("", html_text)))


def with_header(header_html: str, body: str, limit: int = TEXT_LIMIT) -> str:
    """An HTML header line and a user's raw text below it, cut to fit Telegram's limit
    (cutting the raw text, never the escaped HTML, so no entity is broken)."""
    room = limit - visible_length(header_html) - 1
    if len(body) > room:
        body = body[: max(room - 1, 0)] + "…"
    return f"{header_html}\n{escape(body)}" if body else header_html


def fit_lines(lines: Sequence[str], limit: int = TEXT_LIMIT) -> str:
    """Join HTML lines, dropping whole lines at the end if they do not fit."""
    kept: list[str] = []
    used = 0
    for line in lines:
        size = visible_length(line) + 1
        if used + size > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        used += size
    return "\n".join(kept)
