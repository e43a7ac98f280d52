"""MarkdownV2 (nested, every reserved character escaped) and legacy Markdown (four markers)."""

from __future__ import annotations

from bot.emulator.errors import BotAPIError
from bot.emulator.formatting.text import (
    FormattedText,
    OpenEntity,
    TextBuilder,
    byte_offset,
    parse_error,
)

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
    out = TextBuilder()
    stack: list[OpenEntity] = []
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
        raise parse_error(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if quote_start is not None:
        out.close("blockquote", quote_start)
    if stack:
        top = stack[-1]
        raise parse_error(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset "
            f"{byte_offset(raw, top.begin)}"
        )
    return out.result()


def _mdv2_try_close(raw: str, i: int, out: TextBuilder, stack: list[OpenEntity]) -> int | None:
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
                raise parse_error(f"Can't find end of a url at byte offset {byte_offset(raw, i)}")
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


def _mdv2_try_open(raw: str, i: int, out: TextBuilder, stack: list[OpenEntity]) -> int | None:
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
        stack.append(OpenEntity("pre", out.length, i, {"language": language}))
        return start
    elif char == "`":
        kind, width = "code", 1
    else:
        return None
    stack.append(OpenEntity(kind, out.length, i))
    return i + width


# ------------------------------------------------------------------ legacy Markdown


def parse_markdown(raw: str) -> FormattedText:
    """Parse legacy Markdown (no nesting, four markers, '\\' escapes them)."""
    out = TextBuilder()
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
    return parse_error(
        f"Can't find end of the entity starting at byte offset {byte_offset(raw, begin)}"
    )
