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
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import BotAPIError, bad_request

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _parse_error(detail: str) -> BotAPIError:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(raw: str, index: int) -> int:
    # Telegram reports positions as UTF-8 byte offsets into the source text.
    return len(raw[:index].encode("utf-8"))


@dataclass
class FormattedText:
    """Plain text as the recipient sees it plus its entities."""

    text: str
    entities: list[Entity] = field(default_factory=list)


@dataclass
class _Open:
    """An entity whose end has not been seen yet."""

    kind: str
    offset: int
    begin: int  # source index, for error messages
    extra: dict[str, Any] = field(default_factory=dict)


class _Builder:
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


# --------------------------------------------------------------------------- HTML

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
    out = _Builder()
    stack: list[_Open] = []
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
                raise _parse_error(f"Unclosed end tag at byte offset {_byte_offset(raw, begin)}")
            name = raw[i + 1 : end].strip().lower()
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(raw, begin)}")
            top = stack[-1]
            if name != top.kind:
                raise _parse_error(
                    f"Unmatched end tag at byte offset {_byte_offset(raw, begin)}, "
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
            raise _parse_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(raw, begin)}'
            )
        attrs = _html_attributes(raw, i, name, begin)
        i = attrs.pop("\0end")  # index after '>'
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(raw, begin)}'
            )
        stack.append(_Open(name, out.length, begin, dict(attrs)))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].kind}"')
    return out.result()


def _html_attributes(raw: str, i: int, tag: str, begin: int) -> dict[str, Any]:
    """Read attributes up to '>'; the returned dict carries the end index under a NUL key."""
    attrs: dict[str, Any] = {}
    n = len(raw)
    while True:
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(raw, begin)}")
        if raw[i] == ">":
            attrs["\0end"] = i + 1
            return attrs
        start = i
        while i < n and _is_name_char(raw[i]):
            i += 1
        attr = raw[start:i].lower()
        if not attr:
            raise _parse_error(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(raw, begin)}'
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
                raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(raw, begin)}")
            attrs[attr] = _unescape(raw[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < n and not raw[i].isspace() and raw[i] != ">":
                i += 1
            attrs[attr] = _unescape(raw[start:i])


def _close_html(out: _Builder, tag: _Open, stack: list[_Open]) -> None:
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


# ---------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(raw: str) -> FormattedText:
    """Parse MarkdownV2, enforcing its "reserved character must be escaped" rule."""
    out = _Builder()
    stack: list[_Open] = []
    quote_start: int | None = None
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        at_line_start = i == 0 or raw[i - 1] == "\n"
        if at_line_start and quote_start is not None and char != ">":
            out.close("blockquote", quote_start)
            quote_start = None
        if char == "\\" and i + 1 < n and 0 < ord(raw[i + 1]) <= 126:
            out.add(raw[i + 1])
            i += 2
            continue
        top = stack[-1] if stack else None
        if top and top.kind in ("code", "pre"):
            closer = "```" if top.kind == "pre" else "`"
            if raw.startswith(closer, i):
                stack.pop()
                out.close(top.kind, top.offset, language=top.extra.get("language"))
                i += len(closer)
            else:
                out.add(char)
                i += 1
            continue
        if char not in _MDV2_RESERVED:
            out.add(char)
            i += 1
            continue
        if char == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.length
            i += 1
            continue
        closed = _mdv2_try_close(raw, i, out, stack)
        if closed:
            i = closed
            continue
        opened = _mdv2_try_open(raw, i, out, stack)
        if opened:
            i = opened
            continue
        raise _parse_error(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if quote_start is not None:
        out.close("blockquote", quote_start)
    if stack:
        top = stack[-1]
        raise _parse_error(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset "
            f"{_byte_offset(raw, top.begin)}"
        )
    return out.result()


def _mdv2_try_close(raw: str, i: int, out: _Builder, stack: list[_Open]) -> int | None:
    """Close the innermost entity if raw[i:] is its closing marker; return the new index."""
    if not stack:
        return None
    top = stack[-1]
    char = raw[i]
    width = 0
    if top.kind == "bold" and char == "*":
        width = 1
    elif top.kind == "underline" and raw.startswith("__", i):
        width = 2
    elif top.kind == "italic" and char == "_":
        width = 1
    elif top.kind == "strikethrough" and char == "~":
        width = 1
    elif top.kind == "spoiler" and raw.startswith("||", i):
        width = 2
    elif top.kind in ("text_link", "custom_emoji") and char == "]":
        stack.pop()
        i += 1
        url = ""
        if i < len(raw) and raw[i] == "(":
            end = i + 1
            chars: list[str] = []
            while end < len(raw) and raw[end] != ")":
                if raw[end] == "\\" and end + 1 < len(raw):
                    end += 1
                chars.append(raw[end])
                end += 1
            if end >= len(raw):
                raise _parse_error(f"Can't find end of a url at byte offset {_byte_offset(raw, i)}")
            url = "".join(chars)
            i = end + 1
        if top.kind == "text_link" and url:
            out.close("text_link", top.offset, url=url)
        elif top.kind == "custom_emoji":
            emoji_id = url.partition("id=")[2] or None
            out.close("custom_emoji", top.offset, custom_emoji_id=emoji_id)
        return i
    if not width:
        return None
    stack.pop()
    out.close(top.kind, top.offset)
    return i + width


def _mdv2_try_open(raw: str, i: int, out: _Builder, stack: list[_Open]) -> int | None:
    """Open an entity if raw[i:] starts one; return the new index."""
    char = raw[i]
    if char == "_":
        kind, width = ("underline", 2) if raw.startswith("__", i) else ("italic", 1)
    elif char == "*":
        kind, width = "bold", 1
    elif char == "~":
        kind, width = "strikethrough", 1
    elif char == "|" and raw.startswith("||", i):
        kind, width = "spoiler", 2
    elif char == "[":
        kind, width = "text_link", 1
    elif char == "!" and raw.startswith("![", i):
        kind, width = "custom_emoji", 2
    elif char == "`" and raw.startswith("```", i):
        # ```lang\n...``` : a first line without spaces names the language; the
        # newline that ends it (or directly follows ```) is not part of the code.
        start = i + 3
        newline = raw.find("\n", start)
        language = None
        if newline != -1 and " " not in raw[start:newline] and "`" not in raw[start:newline]:
            language = raw[start:newline] or None
            start = newline + 1
        stack.append(_Open("pre", out.length, i, {"language": language}))
        return start
    elif char == "`":
        kind, width = "code", 1
    else:
        return None
    stack.append(_Open(kind, out.length, i))
    return i + width


# ------------------------------------------------------------------ legacy Markdown


def parse_markdown(raw: str) -> FormattedText:
    """Parse legacy Markdown (no nesting, four markers, '\\' escapes them)."""
    out = _Builder()
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if char == "\\" and i + 1 < n and raw[i + 1] in "_*`[":
            out.add(raw[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.add(char)
            i += 1
            continue
        begin = i
        if char == "[":
            end = raw.find("]", i + 1)
            if end == -1:
                raise _entity_unclosed(raw, begin)
            start = out.length
            out.add(raw[i + 1 : end])
            i = end + 1
            if i < n and raw[i] == "(":
                url_end = raw.find(")", i)
                if url_end == -1:
                    raise _entity_unclosed(raw, begin)
                out.close("text_link", start, url=raw[i + 1 : url_end])
                i = url_end + 1
            continue
        if char == "`" and raw.startswith("```", i):
            end = raw.find("```", i + 3)
            if end == -1:
                raise _entity_unclosed(raw, begin)
            body = raw[i + 3 : end]
            language = None
            first, sep, rest = body.partition("\n")
            if sep and first and " " not in first:
                language, body = first, rest
            start = out.length
            out.add(body)
            out.close("pre", start, language=language)
            i = end + 3
            continue
        end = raw.find(char, i + 1)
        if end == -1:
            raise _entity_unclosed(raw, begin)
        start = out.length
        out.add(raw[i + 1 : end])
        out.close({"_": "italic", "*": "bold", "`": "code"}[char], start)
        i = end + 1
    return out.result()


def _entity_unclosed(raw: str, begin: int) -> BotAPIError:
    return _parse_error(
        f"Can't find end of the entity starting at byte offset {_byte_offset(raw, begin)}"
    )


# ---------------------------------------------------------------- public helpers


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
