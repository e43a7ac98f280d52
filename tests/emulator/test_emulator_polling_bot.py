"""A real aiogram Dispatcher polling the emulator, driven by emulated users."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from PIL import Image

from bot.emulator import GENERAL_TOPIC_ID, Emulator, EmulatorTimeout, FloodLimits, button_texts
from tests.emulator.helpers import StartPolling, make_jpeg


def approve_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Approve", callback_data="approve:7")],
            [InlineKeyboardButton(text="Reject", callback_data="reject:7")],
        ]
    )


async def test_start_payload_buttons_and_edits(emu: Emulator, polling: StartPolling) -> None:
    dp = Dispatcher()
    seen: dict[str, Any] = {}

    @dp.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        seen["payload"] = command.args
        seen["entities"] = message.entities
        await message.answer(
            f"Welcome, <b>{message.from_user.first_name}</b>!",  # type: ignore[union-attr]
            reply_markup=approve_keyboard(),
        )

    @dp.callback_query(F.data.startswith("approve:"))
    async def approve(query: CallbackQuery) -> None:
        await query.message.edit_text("Approved ✅")  # type: ignore[union-attr]
        await query.answer("Done", show_alert=True)

    @dp.message(F.reply_to_message)
    async def replied(message: Message) -> None:
        await message.reply(f"You answered: {message.text}")

    await polling(dp)
    alice = emu.user(1001, "Alice", language_code="en")
    sent = await alice.send("/start invite-42")
    assert sent["entities"][0]["type"] == "bot_command"
    welcome = await alice.expect(text_contains="Welcome, Alice")
    assert seen["payload"] == "invite-42"
    assert button_texts(welcome) == ["Approve", "Reject"]
    assert welcome["entities"] == [{"type": "bold", "offset": 9, "length": 5}]

    answer = await alice.press(welcome, "Approve")
    assert answer == {"text": "Done", "show_alert": True, "url": None, "cache_time": 0}
    edited = await alice.expect_edit(welcome)
    assert edited["text"] == "Approved ✅" and "reply_markup" not in edited
    assert alice.get(welcome)["text"] == "Approved ✅"

    await alice.reply(welcome, "thanks")
    reply = await alice.expect(text_contains="You answered")
    assert reply["reply_to_message"]["text"] == "thanks"


async def test_unanswered_callback_times_out_with_context(
    emu: Emulator, polling: StartPolling, bot: Bot
) -> None:
    dp = Dispatcher()

    @dp.callback_query()
    async def ignore(query: CallbackQuery) -> None:
        return None

    await polling(dp)
    alice = emu.user(1001, "Alice")
    msg = await bot.send_message(1001, "Pick", reply_markup=approve_keyboard())
    with pytest.raises(EmulatorTimeout, match="did not answer callback query 'reject:7'"):
        await alice.press(msg.message_id, callback_data="reject:7", timeout=0.3)
    with pytest.raises(EmulatorTimeout, match="#1 bot: 'Pick'"):
        await alice.expect(text="never", timeout=0.1)


async def test_reply_keyboard_contact_and_location(emu: Emulator, polling: StartPolling) -> None:
    dp = Dispatcher()
    got: list[Message] = []

    @dp.message(Command("register"))
    async def register(message: Message) -> None:
        await message.answer(
            "Share your phone",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text="📱 Share phone", request_contact=True)],
                    [KeyboardButton(text="📍 Where am I", request_location=True)],
                    [KeyboardButton(text="Cancel")],
                ],
                resize_keyboard=True,
            ),
        )

    @dp.message(F.contact | F.location)
    async def shared(message: Message) -> None:
        got.append(message)
        await message.answer("Thanks", reply_markup=ReplyKeyboardRemove())

    await polling(dp)
    alice = emu.user(1001, "Alice", phone_number="+8613800000000")
    await alice.send("/register")
    prompt = await alice.expect(text="Share your phone")
    assert button_texts(prompt)[0] == "📱 Share phone"
    assert alice.reply_keyboard is not None
    await alice.press_key("Share phone")
    await alice.expect(text="Thanks")
    assert alice.reply_keyboard is None
    contact = got[0].contact
    assert contact is not None
    assert contact.user_id == 1001 and contact.phone_number == "+8613800000000"
    await alice.send_location(31.23, 121.47)
    await alice.expect(text="Thanks")
    assert got[1].location is not None and got[1].location.latitude == pytest.approx(31.23)


async def test_photo_upload_download_and_resend(
    emu: Emulator, polling: StartPolling, bot: Bot
) -> None:
    dp = Dispatcher()
    downloads: list[bytes] = []

    @dp.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        largest = message.photo[-1]  # type: ignore[index]
        buffer = io.BytesIO()
        await bot.download(largest, destination=buffer)
        downloads.append(buffer.getvalue())
        await message.answer_photo(largest.file_id, caption=f"{largest.width}x{largest.height}")

    @dp.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        file = await bot.get_file(message.document.file_id)  # type: ignore[union-attr]
        assert file.file_path is not None
        data = await bot.download_file(file.file_path)
        assert data is not None
        await message.answer(f"{message.document.file_name}: {len(data.read())} bytes")  # type: ignore[union-attr]

    await polling(dp)
    alice = emu.user(1001, "Alice")
    jpeg = make_jpeg(1000, 600)
    sent = await alice.send_photo(jpeg, caption="leak under sink")
    sizes = [(p["width"], p["height"]) for p in sent["photo"]]
    assert sizes == [(90, 54), (320, 192), (800, 480), (1000, 600)]
    echoed = await alice.expect(photo=True)
    assert echoed["caption"] == "1000x600"
    assert downloads == [jpeg]
    assert echoed["photo"][-1]["file_id"] == sent["photo"][-1]["file_id"]

    await alice.send_document(b"%PDF-1.4 lease", filename="lease.pdf", mime="application/pdf")
    await alice.expect(text="lease.pdf: 14 bytes")

    # Bot uploads: multipart bytes become a photo with real dimensions.
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 128, 0)).save(png, format="PNG")
    uploaded = await bot.send_photo(1001, BufferedInputFile(png.getvalue(), "qr.png"))
    assert uploaded.photo is not None and uploaded.photo[-1].width == 64
    report = await bot.send_document(
        1001, BufferedInputFile(b"a,b\n1,2\n", "report.csv"), caption="<i>monthly</i>"
    )
    assert report.document is not None
    assert report.document.file_name == "report.csv"
    assert report.document.mime_type == "text/csv"
    assert report.caption == "monthly"
    with pytest.raises(TelegramBadRequest, match="failed to get HTTP URL content"):
        await bot.send_photo(1001, "https://example.com/cat.jpg")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(1001, BufferedInputFile(b"not an image", "x.jpg"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(1001, report.document.file_id)


async def test_media_groups_both_ways(emu: Emulator, polling: StartPolling, bot: Bot) -> None:
    dp = Dispatcher()
    albums: list[str | None] = []

    @dp.message(F.photo)
    async def photo(message: Message) -> None:
        albums.append(message.media_group_id)

    await polling(dp)
    alice = emu.user(1001, "Alice")
    sent = await alice.send_media_group([make_jpeg(50, 50), make_jpeg(60, 40)], caption="album")
    for _ in range(100):
        if len(albums) == 2:
            break
        await asyncio.sleep(0.01)
    assert albums[0] is not None and albums == [sent[0]["media_group_id"]] * 2
    from aiogram.types import InputMediaPhoto

    messages = await bot.send_media_group(
        1001,
        [
            InputMediaPhoto(media=BufferedInputFile(make_jpeg(30, 30), "a.jpg"), caption="one"),
            InputMediaPhoto(media=sent[1]["photo"][-1]["file_id"]),
        ],
    )
    assert len({m.media_group_id for m in messages}) == 1
    assert messages[0].caption == "one" and messages[1].photo[-1].width == 60  # type: ignore[index]


async def test_forum_topics(emu: Emulator, polling: StartPolling, bot: Bot) -> None:
    dp = Dispatcher()
    seen: list[Message] = []

    @dp.message(Command("ticket"))
    async def ticket(message: Message, bot: Bot) -> None:
        topic = await bot.create_forum_topic(message.chat.id, "Ticket #7 leak")
        await bot.send_message(
            message.chat.id,
            "New ticket",
            message_thread_id=topic.message_thread_id,
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Take", callback_data="take")]]
            ),
        )

    @dp.callback_query(F.data == "take")
    async def take(query: CallbackQuery, bot: Bot) -> None:
        assert query.message is not None
        await query.answer("Taken")
        await bot.close_forum_topic(
            query.message.chat.id,
            query.message.message_thread_id,  # type: ignore[union-attr,arg-type]
        )

    @dp.message()
    async def anything(message: Message) -> None:
        seen.append(message)

    await polling(dp)
    group = emu.group(-100123, "Sunny Garden staff", is_forum=True, bot_is_admin=True)
    group.add_member(1002, "Mike Manager", "administrator")
    group.add_member(1003, "Tom Tech")
    await group.send(1002, "/ticket")
    created = await group.expect(where=lambda m: "forum_topic_created" in m)
    thread_id = created["message_thread_id"]
    assert created["is_topic_message"] and created["message_id"] == thread_id
    assert group.topics[thread_id].name == "Ticket #7 leak"
    card = await group.expect(thread_id=thread_id, text="New ticket")
    assert card["is_topic_message"]
    # Telegram quirk: topic messages reply to the topic's creation message.
    assert card["reply_to_message"]["forum_topic_created"]["name"] == "Ticket #7 leak"

    await group.send(1003, "on my way", thread_id=thread_id)
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.01)
    assert seen[0].message_thread_id == thread_id and seen[0].is_topic_message

    assert await group.press(card, "Take", from_user=1003) == {
        "text": "Taken",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    closed = await group.expect(where=lambda m: "forum_topic_closed" in m)
    assert closed["message_thread_id"] == thread_id
    assert group.topic("Ticket #7 leak").closed
    with pytest.raises(Exception, match="TOPIC_CLOSED"):
        await group.send(1003, "late", thread_id=thread_id)
    await group.send(1002, "admins may still post", thread_id=thread_id)

    general = await bot.send_message(-100123, "General notice", message_thread_id=GENERAL_TOPIC_ID)
    assert general.message_thread_id is None
    assert (await group.expect(thread_id=GENERAL_TOPIC_ID))["text"] == "General notice"
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(-100123, "x", message_thread_id=999)

    limited = emu.group(
        -100124, "No topics", is_forum=True, bot_rights={"can_manage_topics": False}
    )
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(limited.id, "nope")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(emu.group(-100125, "Flat").id, "nope")


async def test_privacy_mode_in_groups(emu: Emulator, polling: StartPolling) -> None:
    dp = Dispatcher()
    texts: list[str] = []

    @dp.message()
    async def collect(message: Message) -> None:
        texts.append(message.text or "")

    await polling(dp)
    group = emu.group(-100200, "Residents", bot_is_admin=False)
    group.add_member(1001, "Alice")
    await group.send(1001, "just chatting")
    await group.send(1001, "/help@courtyard_bot")
    for _ in range(100):
        if texts:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert texts == ["/help@courtyard_bot"]


async def test_invoice_pre_checkout_and_payment(emu: Emulator, polling: StartPolling) -> None:
    dp = Dispatcher()
    paid: list[Message] = []

    @dp.message(Command("pay"))
    async def pay(message: Message) -> None:
        await message.answer_invoice(
            title="Property fee",
            description="March 2025",
            payload="fee:2025-03:room-1201",
            currency="XTR",
            prices=[LabeledPrice(label="Fee", amount=150)],
        )

    @dp.pre_checkout_query()
    async def pre_checkout(query: PreCheckoutQuery) -> None:
        if query.invoice_payload.endswith("room-1201") and query.from_user.id == 1001:
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message="Not your invoice")

    @dp.message(F.successful_payment)
    async def success(message: Message) -> None:
        paid.append(message)
        await message.answer("Payment received")

    await polling(dp)
    alice = emu.user(1001, "Alice")
    await alice.send("/pay")
    invoice = await alice.expect(invoice=True)
    assert invoice["invoice"] == {
        "title": "Property fee",
        "description": "March 2025",
        "start_parameter": "",
        "currency": "XTR",
        "total_amount": 150,
    }
    outcome = await alice.pay(invoice)
    assert outcome.ok and outcome.status == "paid"
    await alice.expect(text="Payment received")
    payment = paid[0].successful_payment
    assert payment is not None
    assert payment.telegram_payment_charge_id == outcome.telegram_payment_charge_id
    assert payment.total_amount == 150 and payment.invoice_payload == "fee:2025-03:room-1201"
    second = await alice.pay(invoice)
    assert second.telegram_payment_charge_id != outcome.telegram_payment_charge_id

    bob = emu.user(1002, "Bob")
    await bob.send("/pay")
    declined = await bob.pay(await bob.expect(invoice=True))
    assert not declined.ok and declined.error_message == "Not your invoice"


async def test_invoice_validation(emu: Emulator, bot: Bot) -> None:
    emu.user(1001, "Alice")
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(
            1001, "Fee", "desc", "p", currency="CNY", prices=[LabeledPrice(label="x", amount=1)]
        )
    msg = await bot.send_invoice(
        1001,
        "Fee",
        "desc",
        "p",
        currency="CNY",
        provider_token="TEST:123",
        prices=[LabeledPrice(label="a", amount=100), LabeledPrice(label="b", amount=50)],
    )
    assert msg.invoice is not None and msg.invoice.total_amount == 150
    link = await bot.create_invoice_link(
        "Deposit", "desc", "dep", currency="XTR", prices=[LabeledPrice(label="x", amount=5)]
    )
    assert link.startswith("https://t.me/$")


async def test_pre_checkout_timeout(emu: Emulator, bot: Bot) -> None:
    alice = emu.user(1001, "Alice")
    invoice = await bot.send_invoice(
        1001, "Fee", "desc", "p", currency="XTR", prices=[LabeledPrice(label="x", amount=1)]
    )
    outcome = await alice.pay(invoice.message_id, timeout=0.2)
    assert outcome.status == "timeout" and not outcome.ok


async def test_block_updates_reach_the_bot(emu: Emulator, polling: StartPolling) -> None:
    dp = Dispatcher()
    statuses: list[str] = []

    @dp.my_chat_member()
    async def member(update: ChatMemberUpdated) -> None:
        statuses.append(update.new_chat_member.status)

    await polling(dp)
    alice = emu.user(1001, "Alice")
    alice.block_bot()
    alice.unblock_bot()
    for _ in range(100):
        if len(statuses) == 2:
            break
        await asyncio.sleep(0.01)
    assert statuses == ["kicked", "member"]


async def test_flood_limits_answer_429(emu: Emulator, bot: Bot) -> None:
    emu.user(1001, "Alice")
    group = emu.group(-100300, "Staff")
    await bot.send_message(1001, "one")  # limits off: no 429
    await bot.send_message(1001, "two")
    emu.flood_limits = FloodLimits(private_per_second=1, group_per_minute=3)
    await bot.send_message(1001, "three")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(1001, "four")
    assert info.value.retry_after == 1
    for index in range(3):
        await bot.send_message(group.id, f"g{index}")
    with pytest.raises(TelegramRetryAfter) as group_info:
        await bot.send_message(group.id, "g3")
    assert 50 <= group_info.value.retry_after <= 60
    assert emu.calls_of("sendMessage")[-1].error_code == 429
    await asyncio.sleep(1.05)
    assert (await bot.send_message(1001, "after waiting")).text == "after waiting"


async def test_injected_duplicate_is_delivered_again(emu: Emulator, polling: StartPolling) -> None:
    dp = Dispatcher()
    handled: list[tuple[int, str]] = []

    @dp.message()
    async def collect(message: Message) -> None:
        handled.append((message.message_id, message.text or ""))

    await polling(dp)
    alice = emu.user(1001, "Alice")
    await alice.send("hello")
    for _ in range(100):
        if handled:
            break
        await asyncio.sleep(0.01)
    original = next(e.data["update"] for e in emu.events.since(0) if e.type == "update_queued")
    emu.inject_update(original)  # same update_id: Telegram redelivering it
    for _ in range(100):
        if len(handled) == 2:
            break
        await asyncio.sleep(0.01)
    assert handled == [(1, "hello"), (1, "hello")]


async def test_timeouts_hint_at_a_bot_that_is_not_running(emu: Emulator) -> None:
    alice = emu.user(1001, "Alice")
    await alice.send("/start")
    with pytest.raises(EmulatorTimeout, match=r"1 update\(s\) not yet fetched via getUpdates"):
        await alice.expect("Welcome", timeout=0.05)
