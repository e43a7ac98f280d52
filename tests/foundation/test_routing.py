"""The faster handler selection (bot.routing) picks the same handler as aiogram.

The same routers — commands (plain, case-insensitive, pattern), conversation
states, router-level filters, nested routers, a handler that skips itself — go
into aiogram's own dispatcher and into ours; every update must reach the same
handler with the same data in both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED, SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.dispatcher import CourtyardDispatcher

BOT_ID = 42


class Pick(CallbackData, prefix="pk"):
    n: int


class Ask(StatesGroup):
    name = State()
    floor = State()


def routers() -> list[Router]:
    first = Router(name="first")

    @first.message(Command("start"))
    async def start(message: Message) -> str:
        return "start"

    @first.message(Command("Help", ignore_case=True))
    async def help_(message: Message) -> str:
        return "help"

    @first.message(Command(re.compile(r"unit_(\d+)")))
    async def unit(message: Message, command: CommandObject) -> str:
        return f"unit {command.regexp_match.group(1) if command.regexp_match else '?'}"

    @first.message(Command("skip"))
    async def skipping(message: Message) -> str:
        raise SkipHandler

    flow = Router(name="flow")

    @flow.message(Ask.name, F.text)
    async def name(message: Message) -> str:
        return "name"

    @flow.message(StateFilter(Ask.floor), F.text.regexp(r"^\d+$"))
    async def floor(message: Message) -> str:
        return "floor"

    @flow.message(StateFilter(Ask), Command("back"))
    async def back(message: Message) -> str:
        return "back"

    staff = Router(name="staff")
    staff.message.filter(F.chat.type == "supergroup")
    nested = Router(name="staff-nested")
    staff.include_router(nested)

    @staff.message(Command("log"))
    async def log(message: Message) -> str:
        return "log in group"

    @nested.message(F.text)
    async def group_text(message: Message) -> str:
        return "group text"

    buttons = Router(name="buttons")
    buttons.callback_query.filter(F.message.chat.type == "private")

    @buttons.callback_query(Pick.filter(F.n > 1))
    async def picked(query: CallbackQuery, callback_data: Pick) -> str:
        return f"picked {callback_data.n}"

    @buttons.callback_query(F.data.startswith("lang:"))
    async def language(query: CallbackQuery) -> str:
        return "language"

    @buttons.callback_query(Ask.name, F.data == "cancel")
    async def cancel_in_flow(query: CallbackQuery) -> str:
        return "cancel in flow"

    last = Router(name="last")

    @last.message(Command("skip"))
    async def skipped_to(message: Message) -> str:
        return "after skip"

    @last.message(F.text.startswith("/"))
    async def unknown(message: Message) -> str:
        return "unknown command"

    @last.message(StateFilter(None))
    async def no_state(message: Message) -> str:
        return "no state"

    @last.message()
    async def in_flow(message: Message) -> str:
        return "in flow"

    @last.callback_query(F.data == "go")
    async def go(query: CallbackQuery) -> str:
        return "go"

    return [first, flow, staff, buttons, last]


async def read_state(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    # What bot.middlewares.DbSessionMiddleware does in the application.
    state: FSMContext | None = data.get("state")
    if state is not None:
        data["raw_state"] = await state.get_state()
    return await handler(event, data)


_n = 0


def update(text: str | None = None, chat_type: str = "private", data: str | None = None) -> dict:
    global _n
    _n += 1
    chat = {"id": -100 if chat_type == "supergroup" else 7, "type": chat_type}
    user = {"id": 7, "is_bot": False, "first_name": "U"}
    message: dict[str, Any] = {"message_id": _n, "date": int(time.time()), "chat": chat}
    message["from"] = user
    if data is not None:
        return {
            "update_id": _n,
            "callback_query": {
                "id": str(_n),
                "chat_instance": "c",
                "from": user,
                "message": message,
                "data": data,
            },
        }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": _n, "message": message}


CASES = [
    ("/start", "private", None),
    ("/start now", "private", None),
    ("/HELP", "private", None),
    ("/help", "private", None),
    ("/unit_12", "private", None),
    ("/skip", "private", None),
    ("/nosuch", "private", None),
    ("hello", "private", None),
    ("  ", "private", None),
    ("/log", "supergroup", None),
    ("hi all", "supergroup", None),
    (None, "private", "go"),
    (None, "private", "stale"),
    (None, "private", "pk:2"),
    (None, "private", "pk:1"),
    (None, "private", "pk:x"),
    (None, "private", "pkz"),
    (None, "private", "lang:en"),
    (None, "private", "cancel"),
    (None, "supergroup", "lang:en"),
]


@pytest.mark.parametrize("state", [None, Ask.name, Ask.floor])
async def test_same_handler_as_aiogram(state: State | None) -> None:
    bot = Bot(f"{BOT_ID}:TEST")
    answers: dict[str, list[Any]] = {}
    for kind in ("aiogram", "courtyard"):
        storage = MemoryStorage()
        dp = (
            Dispatcher(storage=storage)
            if kind == "aiogram"
            else CourtyardDispatcher(storage=storage)
        )
        dp.update.outer_middleware(read_state)
        for router in routers():
            dp.include_router(router)
        results = []
        for text, chat_type, data in [*CASES, ("12", "private", None), ("/back", "private", None)]:
            chat_id = -100 if chat_type == "supergroup" else 7
            key = StorageKey(bot_id=BOT_ID, chat_id=chat_id, user_id=7)
            await storage.set_state(key, state)
            raw = update(text, chat_type, data)
            result = await dp.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))
            results.append((text, data, str(result)))
        answers[kind] = results
    await bot.session.close()
    assert answers["courtyard"] == answers["aiogram"]
    # and the cases mean something: the table reaches most handlers
    reached = {r[2] for r in answers["courtyard"]}
    if state is None:
        assert {
            "start",
            "help",
            "unit 12",
            "after skip",
            "unknown command",
            "go",
            "picked 2",
            "language",
            "log in group",
            "group text",
        } <= reached
    else:
        assert ({"name", "cancel in flow"} if state is Ask.name else {"floor", "back"}) <= reached


async def test_a_handler_added_later_is_reached() -> None:
    """Routers passed over by their reach (bot.reach) are looked at again once a
    handler is added to one of them."""
    bot = Bot(f"{BOT_ID}:TEST")
    dp = CourtyardDispatcher(storage=MemoryStorage())
    dp.update.outer_middleware(read_state)
    late = Router(name="late")

    @late.message(Command("early"))
    async def early(message: Message) -> str:
        return "early"

    dp.include_router(late)
    dp.include_router(Router(name="other"))
    first = await dp.feed_update(bot, Update.model_validate(update("/late"), context={"bot": bot}))

    @late.message(Command("late"))
    async def later(message: Message) -> str:
        return "late"

    second = await dp.feed_update(bot, Update.model_validate(update("/late"), context={"bot": bot}))
    await bot.session.close()
    assert (first, second) == (UNHANDLED, "late")
