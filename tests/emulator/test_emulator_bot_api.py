"""Bot API surface over real HTTP: encodings, errors, polling protocol, chat methods."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
)
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)

from bot.emulator import Emulator


def url(emu: Emulator, method: str) -> str:
    return f"{emu.base_url}/bot{emu.bot_token}/{method}"


async def test_get_me_via_aiogram(emu: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == bot.id == emu.world.bot.id
    assert me.username == "courtyard_bot"
    assert me.is_bot


async def test_unknown_method_answers_exactly_like_telegram(
    emu: Emulator, http: aiohttp.ClientSession, bot: Bot
) -> None:
    async with http.post(url(emu, "sendTelepathy"), json={}) as response:
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }

    class Telepathy(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "sendTelepathy"

    with pytest.raises(TelegramNotFound):
        await bot(Telepathy())


async def test_malformed_token_is_unauthorized(emu: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{emu.base_url}/botnot-a-token/getMe") as response:
        assert response.status == 401
        assert (await response.json())["description"] == "Unauthorized"
    # Any well-formed token reaches the one emulated bot.
    async with http.get(f"{emu.base_url}/bot42:other/getMe") as response:
        assert (await response.json())["result"]["username"] == "courtyard_bot"


async def test_json_form_and_query_encodings(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.user(1001, "Alice")
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with http.post(url(emu, "sendMessage"), json={"chat_id": 1001, "text": "json"}) as r:
        assert (await r.json())["result"]["text"] == "json"
    form = {"chat_id": "1001", "text": "form", "reply_markup": markup}
    async with http.post(url(emu, "sendMessage"), data=form) as r:
        body = await r.json()
        assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    async with http.get(url(emu, "sendMessage"), params={"chat_id": "1001", "text": "q"}) as r:
        assert (await r.json())["result"]["message_id"] == 3
    # Methods are case-insensitive, as in Telegram.
    async with http.get(url(emu, "GETME")) as r:
        assert (await r.json())["ok"]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": 424242, "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": 1001, "text": "  "}, "Bad Request: message text is empty"),
        (
            {"chat_id": 1001, "text": "<b>x", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Can't find end tag corresponding to start "
            'tag "b"',
        ),
        (
            {
                "chat_id": 1001,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"chat_id": 1001, "text": "x", "reply_to_message_id": 999},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_send_message_errors(
    emu: Emulator, http: aiohttp.ClientSession, params: dict[str, object], description: str
) -> None:
    emu.user(1001, "Alice")
    async with http.post(url(emu, "sendMessage"), json=params) as response:
        assert response.status == 400
        assert await response.json() == {
            "ok": False,
            "error_code": 400,
            "description": description,
        }


async def test_edit_errors_and_keyboard_removal(emu: Emulator, bot: Bot) -> None:
    alice = emu.user(1001, "Alice")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
    )
    sent = await bot.send_message(1001, "Hello", reply_markup=keyboard)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Hello", chat_id=1001, message_id=sent.message_id, reply_markup=keyboard
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)
    mine = await alice.send("user text")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=1001, message_id=mine["message_id"])
    # Editing text without reply_markup drops the inline keyboard (Telegram does).
    edited = await bot.edit_message_text("Hello!", chat_id=1001, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.edit_date is not None and edited.reply_markup is None
    assert "reply_markup" not in alice.get(sent.message_id)
    await bot.delete_message(1001, sent.message_id)
    assert [m["text"] for m in alice.messages] == ["user text"]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(1001, sent.message_id)


async def test_reply_parameters_and_forward_copy(emu: Emulator, bot: Bot) -> None:
    alice = emu.user(1001, "Alice")
    question = await alice.send("question?")
    answer = await bot.send_message(
        1001, "answer", reply_parameters=ReplyParameters(message_id=question["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question?"
    emu.user(1002, "Bob")
    forwarded = await bot.forward_message(1002, 1001, question["message_id"])
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == 1001  # type: ignore[union-attr]
    copied = await bot.copy_message(1002, 1001, question["message_id"])
    assert emu.user(1002).get(copied.message_id)["text"] == "question?"


async def test_blocked_and_deleted_users_are_forbidden(emu: Emulator, bot: Bot) -> None:
    emu.user(1001, "Alice").block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(1001, "hi")
    emu.user(1002, "Bob").delete_account()
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(1002, "hi")
    emu.user(1003, "Carol", started=False)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(1003, "hi")
    emu.user(1001).unblock_bot()
    assert (await bot.send_message(1001, "welcome back")).text == "welcome back"
    # Blocking produced my_chat_member updates (member -> kicked -> member).
    kinds = [u["my_chat_member"]["new_chat_member"]["status"] for u in emu.pending_updates]
    assert kinds == ["kicked", "member"]


async def test_long_poll_wakes_immediately_and_confirms(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(1001, "Alice")
    started = time.monotonic()
    poll = asyncio.create_task(http.post(url(emu, "getUpdates"), json={"timeout": 10}).__aenter__())
    await asyncio.sleep(0.1)
    await alice.send("ping")
    response = await poll
    body = await response.json()
    response.release()
    assert time.monotonic() - started < 2
    [update] = body["result"]
    assert update["message"]["text"] == "ping"
    await alice.send("second")
    async with http.post(url(emu, "getUpdates"), json={"offset": update["update_id"] + 1}) as r:
        [second] = (await r.json())["result"]
    assert second["update_id"] == update["update_id"] + 1
    assert second["message"]["message_id"] == update["message"]["message_id"] + 1
    async with http.post(url(emu, "getUpdates"), json={"offset": second["update_id"] + 1}) as r:
        assert (await r.json())["result"] == []


async def test_second_poller_terminates_first(emu: Emulator, http: aiohttp.ClientSession) -> None:
    first = asyncio.create_task(http.post(url(emu, "getUpdates"), json={"timeout": 5}).__aenter__())
    await asyncio.sleep(0.1)
    async with http.post(url(emu, "getUpdates"), json={"timeout": 0}) as second:
        assert (await second.json())["ok"]
    response = await first
    assert response.status == 409
    assert "terminated by other getUpdates request" in (await response.json())["description"]
    response.release()


async def test_commands_per_scope_and_language(emu: Emulator, bot: Bot) -> None:
    alice = emu.user(1001, "Alice", language_code="zh")
    group = emu.group(-100500, "Staff")
    group.add_member(1001, "Alice", "administrator")
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands([BotCommand(command="start", description="开始")], language_code="zh")
    await bot.set_my_commands(
        [BotCommand(command="queue", description="Tickets")],
        scope=BotCommandScopeAllGroupChats(),
    )
    chat_scope = BotCommandScopeChat(chat_id=1001)
    assert await bot.get_my_commands(scope=chat_scope) == []
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始"]
    assert alice.commands == [{"command": "start", "description": "开始"}]
    await bot.delete_my_commands(language_code="zh")
    assert alice.commands == [{"command": "start", "description": "Start"}]
    from bot.emulator.methods.meta import effective_commands

    assert effective_commands(emu.core, group.chat, 1001, "zh")[0]["command"] == "queue"
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_chat_members_and_admin_rights(emu: Emulator, bot: Bot) -> None:
    group = emu.group(-100777, "Sunny Garden staff", bot_rights={"can_pin_messages": False})
    group.add_member(2001, "Olga Owner", "creator")
    group.add_member(2002, "Mike Manager", "administrator", rights={"can_manage_topics": True})
    group.add_member(2003, "Tom Tech")
    emu.user(2004, "Stranger")
    chat = await bot.get_chat(-100777)
    assert chat.type == "supergroup" and chat.title == "Sunny Garden staff"
    me = await bot.get_chat_member(-100777, bot.id)
    assert isinstance(me, ChatMemberAdministrator)
    assert me.can_delete_messages and not me.can_pin_messages
    assert isinstance(await bot.get_chat_member(-100777, 2001), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(-100777, 2003), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(-100777, 2004), ChatMemberLeft)
    with pytest.raises(TelegramBadRequest, match="PARTICIPANT_ID_INVALID"):
        await bot.get_chat_member(-100777, 9999)
    admins = await bot.get_chat_administrators(-100777)
    assert {a.user.id for a in admins} == {2001, 2002, bot.id}
    assert await bot.get_chat_member_count(-100777) == 4
    sent = await bot.send_message(-100777, "pin me")
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage pinned"):
        await bot.pin_chat_message(-100777, sent.message_id)
    link = await bot.create_chat_invite_link(-100777, name="staff", member_limit=1)
    emu.user(2005, "Nina")
    joined = await emu.user(2005).join(group, link.invite_link)
    assert joined["new_chat_members"][0]["id"] == 2005
    assert await bot.get_chat_member_count(-100777) == 5


async def test_bot_not_in_group_is_forbidden(emu: Emulator, bot: Bot) -> None:
    emu.group(-100888, "Residents", bot_member=False)
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the supergroup"):
        await bot.send_message(-100888, "hi")


async def test_getupdates_conflicts_with_webhook(emu: Emulator, bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_bot_id_follows_the_first_token(emu: Emulator) -> None:
    group = emu.group(-100999, "Staff")
    bot = Bot("123456789:TEST-token", session=emu.create_bot().session)
    try:
        assert (await bot.get_me()).id == 123456789
        member = await bot.get_chat_member(group.id, 123456789)
        assert isinstance(member, ChatMemberAdministrator)
        sent = await bot.send_message(group.id, "hi")
        assert sent.from_user is not None and sent.from_user.id == bot.id
    finally:
        await bot.session.close()


async def test_strict_token_rejects_others(http: aiohttp.ClientSession) -> None:
    async with Emulator(token="555:secret", strict_token=True) as emu:
        async with http.get(f"{emu.base_url}/bot555:secret/getMe") as response:
            assert (await response.json())["result"]["id"] == 555
        async with http.get(f"{emu.base_url}/bot555:other/getMe") as response:
            assert response.status == 401
