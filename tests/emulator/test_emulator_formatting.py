"""Parse-mode handling: plain text + entities, and Telegram's rejections."""

from __future__ import annotations

import pytest

from bot.emulator.errors import BotAPIError
from bot.emulator.formatting import auto_entities, format_text, utf16_len


def test_html_to_text_and_entities() -> None:
    parsed = format_text(
        ' <b>Hi</b> &lt;you&gt; <a href="https://e.com">link</a> '
        '<pre><code class="language-py">x = 1</code></pre> ',
        "HTML",
    )
    assert parsed.text == "Hi <you> link x = 1"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 9, "length": 4, "url": "https://e.com"},
        {"type": "pre", "offset": 14, "length": 5, "language": "py"},
    ]


def test_offsets_are_utf16() -> None:
    parsed = format_text("😀 <i>x</i>", "HTML")
    assert utf16_len("😀") == 2
    assert parsed.entities == [{"type": "italic", "offset": 3, "length": 1}]


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a </b>", "Unexpected end tag at byte offset 2"),
    ],
)
def test_html_errors_match_telegram(source: str, detail: str) -> None:
    with pytest.raises(BotAPIError) as info:
        format_text(source, "HTML")
    assert info.value.error_code == 400
    assert info.value.description == f"Bad Request: can't parse entities: {detail}"


def test_markdown_v2_requires_escaping() -> None:
    parsed = format_text(r"*bold* _it_ ||spoiler|| [l](https://e.com) 1\.5", "MarkdownV2")
    assert parsed.text == "bold it spoiler l 1.5"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "spoiler", "text_link"]
    with pytest.raises(BotAPIError, match=r"Character '\.' is reserved"):
        format_text("1.5", "MarkdownV2")
    with pytest.raises(BotAPIError, match="Can't find end of Bold entity"):
        format_text("*open", "MarkdownV2")


def test_legacy_markdown() -> None:
    parsed = format_text("*b* _i_ `c`", "Markdown")
    assert parsed.text == "b i c"
    with pytest.raises(BotAPIError, match="Can't find end of the entity"):
        format_text("*open", "Markdown")


def test_auto_entities_find_commands_mentions_links() -> None:
    kinds = [e["type"] for e in auto_entities("/start@courtyard_bot hi @alice_b https://e.com")]
    assert kinds == ["bot_command", "mention", "url"]
