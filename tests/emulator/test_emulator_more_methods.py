"""Less central methods, each checked through aiogram so every result shape validates."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    LabeledPrice,
    MenuButtonWebApp,
    Message,
    PreCheckoutQuery,
    WebAppInfo,
)

from bot.emulator import Emulator
from tests.emulator.helpers import StartPolling, make_jpeg


async def test_media_captions_video_location_contact(emu: Emulator, bot: Bot) -> None:
    alice = emu.user(1001, "Alice")
    photo = await bot.send_photo(
        1001, BufferedInputFile(make_jpeg(120, 80), "a.jpg"), caption="<b>before</b>"
    )
    edited = await bot.edit_message_caption(
        chat_id=1001, message_id=photo.message_id, caption="after"
    )
    assert isinstance(edited, Message) and edited.caption == "after"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=1001, message_id=photo.message_id)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(1001, photo.photo[-1].file_id, caption="x" * 1025)  # type: ignore[index]
    video = await bot.send_video(
        1001,
        BufferedInputFile(b"\x00\x00\x00\x18ftypmp42", "clip.mp4"),
        width=640,
        height=360,
        duration=3,
    )
    assert video.video is not None and (video.video.width, video.video.duration) == (640, 3)
    location = await bot.send_location(1001, 31.23, 121.47)
    assert location.location is not None and location.location.longitude == 121.47
    contact = await bot.send_contact(1001, "+862112345678", "Property office")
    assert contact.contact is not None and contact.contact.first_name == "Property office"
    await bot.send_chat_action(1001, ChatAction.UPLOAD_PHOTO)
    assert any(e.type == "chat_action" for e in emu.events.since(0))
    prompt = await bot.send_message(1001, "Your name?", reply_markup=ForceReply())
    assert prompt.reply_markup is None  # Telegram never echoes non-inline markup to the bot
    assert alice.get(prompt)["reply_markup"] == {"force_reply": True}


async def test_pins_and_menu_button(emu: Emulator, bot: Bot) -> None:
    alice = emu.user(1001, "Alice")
    sent = await bot.send_message(1001, "Gate code: 1234")
    await bot.pin_chat_message(1001, sent.message_id)
    assert [m["text"] for m in alice.pinned] == ["Gate code: 1234"]
    assert alice.messages[-1]["pinned_message"]["message_id"] == sent.message_id
    chat = await bot.get_chat(1001)
    assert chat.pinned_message is not None and chat.pinned_message.message_id == sent.message_id
    await bot.unpin_chat_message(1001)
    assert alice.pinned == []
    button = MenuButtonWebApp(text="Open", web_app=WebAppInfo(url="https://e.com/app"))
    await bot.set_chat_menu_button(chat_id=1001, menu_button=button)
    current = await bot.get_chat_menu_button(chat_id=1001)
    assert isinstance(current, MenuButtonWebApp) and current.web_app.url == "https://e.com/app"


async def test_topic_lifecycle(emu: Emulator, bot: Bot) -> None:
    group = emu.group(-100400, "Staff", is_forum=True)
    group.add_member(2001, "Mike", "administrator")
    topic = await bot.create_forum_topic(group.id, "Gate 1", icon_color=16766590)
    assert topic.icon_color == 16766590
    await bot.edit_forum_topic(group.id, topic.message_thread_id, name="Gate 1 (north)")
    assert group.topics[topic.message_thread_id].name == "Gate 1 (north)"
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(group.id, topic.message_thread_id, name="Gate 1 (north)")
    await bot.close_forum_topic(group.id, topic.message_thread_id)
    await bot.reopen_forum_topic(group.id, topic.message_thread_id)
    services = [
        next(k for k in m if k.startswith("forum_topic_"))
        for m in group.thread(topic.message_thread_id)
    ]
    assert services == [
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
    ]
    # Every stored message (service ones included) is a valid aiogram Message.
    for view in group.messages:
        Message.model_validate(view)
    user_topic = await group.create_topic(2001, "Parking")
    assert group.topic("Parking").thread_id == user_topic
    await bot.delete_forum_topic(group.id, topic.message_thread_id)
    assert topic.message_thread_id not in group.topics
    assert group.thread(topic.message_thread_id) == []
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(group.id, "x", message_thread_id=topic.message_thread_id)


async def test_user_edits_joins_and_invoice_links(
    emu: Emulator, bot: Bot, polling: StartPolling
) -> None:
    dp = Dispatcher()
    edits: list[str] = []

    @dp.edited_message()
    async def edited(message: Message) -> None:
        edits.append(message.text or "")

    @dp.pre_checkout_query()
    async def checkout(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        await message.answer(f"paid {message.successful_payment.invoice_payload}")  # type: ignore[union-attr]

    await polling(dp)
    alice = emu.user(1001, "Alice")
    first = await alice.send("room 1201")
    await alice.edit(first, "room 1202")
    link = await bot.create_invoice_link(
        "Deposit",
        "Key deposit",
        "deposit-1",
        currency="XTR",
        prices=[LabeledPrice(label="Deposit", amount=50)],
    )
    outcome = await alice.pay_link(link)
    assert outcome.ok
    await alice.expect(text="paid deposit-1")
    for _ in range(100):
        if edits:
            break
        await asyncio.sleep(0.01)
    assert edits == ["room 1202"]
    assert alice.messages[0]["text"] == "room 1202" and "edit_date" in alice.messages[0]
    assert await bot.refund_star_payment(1001, outcome.telegram_payment_charge_id)  # type: ignore[arg-type]
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(1001, outcome.telegram_payment_charge_id)  # type: ignore[arg-type]
