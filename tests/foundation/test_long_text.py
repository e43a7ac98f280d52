"""No message fails for being too long (bot.long_text, core.text_limits): a list that
grew past Telegram's 4,096 characters arrives as several messages, whole lines each,
the buttons on the last; an edit or a caption is shortened with "…"."""

from __future__ import annotations

import re
from html import unescape

from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from core.text_limits import TEXT_LIMIT, shorten, split_text, units, visible_length
from tests.harness import idle

_TAG = re.compile(r"<[^>]+>")


def _plain(html: str) -> str:
    return unescape(_TAG.sub("", html))


def test_parts_are_whole_lines_balanced_and_lose_nothing() -> None:
    lines = [f"• <b>3栋-{n:04d}</b> 王小明 &amp; 访客 🚗 沪A{n:05d}" for n in range(400)]
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) > 1
    for part in parts:
        assert visible_length(part) <= TEXT_LIMIT
        assert part.count("<b>") == part.count("</b>")
    assert [line for part in parts for line in part.split("\n")] == lines

    # A block held open longer than a message, and one line longer than a message:
    # sent as plain text in pieces, nothing lost.
    block = "<pre>" + "\n".join("x" * 70 for _ in range(100)) + "</pre>"
    line = "长" * 5000
    for text in (block, line):
        parts = split_text(text)
        assert all(units(_plain(p)) <= TEXT_LIMIT for p in parts)
        assert "".join(_plain(p) for p in parts).replace("\n", "") == _plain(text).replace("\n", "")
    assert shorten("a\n" * 3000, 100).endswith("\n…")
    assert visible_length(shorten("a\n" * 3000, 100)) <= 100


async def test_a_long_list_reaches_the_chat_in_parts_with_its_buttons(
    running_bot, emulator
) -> None:
    chat = emulator.user(9101, "Wang", language_code="zh-hans")
    await chat.send("/start")
    await idle(running_bot)
    before = len(chat.bot_messages)
    bot = running_bot.ctx.bot
    lines = [f"{n:03d}. <b>访客</b> {'王' * 40}" for n in range(150)]
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="下一页", callback_data="noop")]]
    )
    sent = await bot.send_message(chat.id, "\n".join(lines), reply_markup=keyboard)
    received = chat.bot_messages[before:]
    assert len(received) >= 2
    assert sent.message_id == received[-1]["message_id"]
    assert [line for m in received for line in m["text"].split("\n")] == [
        _plain(line) for line in lines
    ]
    assert received[-1].get("reply_markup") and not received[0].get("reply_markup")

    # An edit of the last part to something too long is shortened, not refused.
    await bot.edit_message_text("\n".join(lines), chat_id=chat.id, message_id=sent.message_id)
    edited = await chat.expect_edit(sent.message_id)
    assert edited["text"].endswith("…") and units(edited["text"]) <= TEXT_LIMIT
    # A caption over 1,024 characters, too.
    photo = BufferedInputFile(b"%PDF-1.4\n%%EOF\n", filename="list.pdf")
    document = await bot.send_document(chat.id, photo, caption="很长的说明\n" * 300)
    assert document.caption is not None and units(document.caption) <= 1024
