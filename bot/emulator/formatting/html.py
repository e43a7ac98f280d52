"""Telegram-flavoured HTML: the tags Telegram knows, its four named entities, its errors."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.formatting.text import (
    FormattedText,
    OpenEntity,
    TextBuilder,
    byte_offset,
    parse_error,
)

_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_HTML_TAGS = {*_HTML_SIMPLE, "a", "span", "code", "pre", "blockquote", "tg-emoji", "tg-time"}
_HTML_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,8}|[a-zA-Z]{2,8});")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(raw: str, index: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY.match(raw, index)
    if not match:
        return None
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    elif body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], match.end() - index
    else:
        # Telegram supports only four named entities; others stay literal text.
        return None
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end() - index


def _unescape(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)):
            out.append(decoded[0])
            i += decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _is_name_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_")


def parse_html(raw: str) -> FormattedText:
    """Parse Telegram-flavoured HTML; raise BotAPIError on malformed markup."""
    out = TextBuilder()
    stack: list[OpenEntity] = []
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if char == "&":
            decoded = _decode_entity(raw, i)
            if decoded:
                out.add(decoded[0])
                i += decoded[1]
            else:
                out.add("&")
                i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and raw[i] == "/":
            end = raw.find(">", i)
            if end == -1:
                raise parse_error(f"Unclosed end tag at byte offset {byte_offset(raw, begin)}")
            name = raw[i + 1 : end].strip().lower()
            if not stack:
                raise parse_error(f"Unexpected end tag at byte offset {byte_offset(raw, begin)}")
            top = stack[-1]
            if name != top.kind:
                raise parse_error(
                    f"Unmatched end tag at byte offset {byte_offset(raw, begin)}, "
                    f'expected "</{top.kind}>", found "</{name}>"'
                )
            stack.pop()
            _close_html(out, top, stack)
            i = end + 1
            continue
        start = i
        while i < n and _is_name_char(raw[i]):
            i += 1
        name = raw[start:i].lower()
        if name not in _HTML_TAGS:
            raise parse_error(
                f'Unsupported start tag "{name}" at byte offset {byte_offset(raw, begin)}'
            )
        attrs = _html_attributes(raw, i, name, begin)
        i = attrs.pop("\0end")  # index after '>'
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(raw, begin)}'
            )
        stack.append(OpenEntity(name, out.length, begin, dict(attrs)))
    if stack:
        raise parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].kind}"')
    return out.result()


def _html_attributes(raw: str, i: int, tag: str, begin: int) -> dict[str, Any]:
    """Read attributes up to '>'; the returned dict carries the end index under a NUL key."""
    attrs: dict[str, Any] = {}
    n = len(raw)
    while True:
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            raise parse_error(f"Unclosed start tag at byte offset {byte_offset(raw, begin)}")
        if raw[i] == ">":
            attrs["\0end"] = i + 1
            return attrs
        start = i
        while i < n and _is_name_char(raw[i]):
            i += 1
        attr = raw[start:i].lower()
        if not attr:
            raise parse_error(
                f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(raw, begin)}'
            )
        while i < n and raw[i].isspace():
            i += 1
        if i >= n or raw[i] != "=":
            attrs[attr] = ""  # valueless attribute, e.g. <blockquote expandable>
            continue
        i += 1
        while i < n and raw[i].isspace():
            i += 1
        if i < n and raw[i] in "\"'":
            quote = raw[i]
            end = raw.find(quote, i + 1)
            if end == -1:
                raise parse_error(f"Unclosed start tag at byte offset {byte_offset(raw, begin)}")
            attrs[attr] = _unescape(raw[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < n and not raw[i].isspace() and raw[i] != ">":
                i += 1
            attrs[attr] = _unescape(raw[start:i])


def _close_html(out: TextBuilder, tag: OpenEntity, stack: list[OpenEntity]) -> None:
    kind, attrs = tag.kind, tag.extra
    if kind in _HTML_SIMPLE:
        out.close(_HTML_SIMPLE[kind], tag.offset)
    elif kind == "span":
        out.close("spoiler", tag.offset)
    elif kind == "a":
        href = attrs.get("href", "")
        if href:
            out.close("text_link", tag.offset, url=href)
    elif kind == "code":
        language = str(attrs.get("class", ""))
        parent = stack[-1] if stack else None
        if parent and parent.kind == "pre" and language.startswith("language-"):
            # <pre><code class="language-x"> sets the language of the enclosing pre.
            parent.extra["language"] = language.removeprefix("language-")
        else:
            out.close("code", tag.offset)
    elif kind == "pre":
        out.close("pre", tag.offset, language=attrs.get("language"))
    elif kind == "blockquote":
        kind_name = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        out.close(kind_name, tag.offset)
    elif kind == "tg-emoji":
        out.close("custom_emoji", tag.offset, custom_emoji_id=attrs.get("emoji-id") or None)
    elif kind == "tg-time":
        unix = str(attrs.get("unix", ""))
        out.close(
            "date_time",
            tag.offset,
            unix_time=int(unix) if unix.isdigit() else None,
            date_time_format=attrs.get("format") or None,
        )
