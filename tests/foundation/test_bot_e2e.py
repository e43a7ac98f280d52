"""The bot end to end: the real application polling the Bot API emulator over HTTP,
tests acting as people."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import build_application, build_webhook_app
from bot.emulator import Emulator
from bot.settings import Settings
from core.db import create_engine, create_session_factory
from core.models import DeliveryFailure, Person
from tests.harness import start_bot


async def test_start_greets_in_the_users_language(running_bot, emulator: Emulator) -> None:
    zh = emulator.user(501, "小明", language_code="zh-hans")
    await zh.send("/start")
    await zh.expect("欢迎使用 Courtyard")
    en = emulator.user(502, "Alice", language_code="en")
    await en.send("/start")
    msg = await en.expect("Welcome to Courtyard")
    assert msg["reply_markup"]["inline_keyboard"] is not None


async def test_unknown_command_and_free_text_get_help(running_bot, emulator: Emulator) -> None:
    user = emulator.user(503, "Bob", language_code="en")
    await user.send("/frobnicate")
    await user.expect("I don't know that command")
    await user.send("hello?")
    await user.expect("I didn't catch that")


async def test_language_switch_is_remembered(running_bot, emulator: Emulator, session) -> None:
    user = emulator.user(504, "Carol", language_code="en")
    await user.send("/language")
    choice = await user.expect("Choose your language")
    await user.press(choice, "简体中文")
    await user.expect_edit(text_contains="语言已设置为简体中文")
    await user.send("/help")
    await user.expect("我是 Courtyard")
    person = await session.scalar(select(Person).where(Person.telegram_id == 504))
    assert person is not None and person.locale == "zh_Hans"


async def test_commands_published_per_language_and_scope(running_bot, emulator: Emulator) -> None:
    calls = [c for c in emulator.calls if c.method == "setMyCommands"]
    scopes = {(str(c.params.get("scope")), c.params.get("language_code")) for c in calls}
    assert any("all_private_chats" in s and lang == "zh" for s, lang in scopes)
    assert any("all_group_chats" in s and lang == "en" for s, lang in scopes)


class Boom(Router):
    pass


def failing_router() -> Router:
    router = Router(name="test-failing")

    @router.message(Command("boom"))
    async def boom(message: Message) -> None:
        raise RuntimeError("internal detail: stack and secrets")

    return router


async def test_error_is_apologised_without_traceback(settings: Settings, emulator: Emulator):
    async with start_bot(settings, emulator, extra_routers=[failing_router()]):
        user = emulator.user(505, "Dan", language_code="en")
        await user.send("/boom")
        msg = await user.expect("Sorry, something went wrong")
        assert "internal detail" not in msg["text"] and "Traceback" not in msg["text"]


class Ask(StatesGroup):
    name = State()
    floor = State()


def two_step_router() -> Router:
    router = Router(name="test-two-step")

    @router.message(Command("ask"))
    async def ask(message: Message, state: FSMContext) -> None:
        await state.set_state(Ask.name)
        await message.answer("What is your name?")

    @router.message(Ask.name, F.text)
    async def got_name(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Ask.floor)
        await message.answer("Which floor?")

    @router.message(Ask.floor, F.text.regexp(r"^\d+$"))
    async def got_floor(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        await message.answer(f"Thanks {data['name']}, floor {message.text}")

    return router


async def test_conversation_survives_a_restart(settings: Settings, emulator: Emulator):
    user = emulator.user(506, "Eve", language_code="en")
    async with start_bot(settings, emulator, extra_routers=[two_step_router()]):
        await user.send("/ask")
        await user.expect("What is your name?")
        await user.send("Eve")
        await user.expect("Which floor?")
    # A new process on the same database continues where the user was.
    async with start_bot(settings, emulator, extra_routers=[two_step_router()]):
        await user.send("twelve")
        await user.expect("That is not what I asked for")
        await user.send("12")
        await user.expect("Thanks Eve, floor 12")


def crashing_step_router() -> Router:
    """Goes before two_step_router: its name step fails after moving on."""
    router = Router(name="test-crashing-step")

    @router.message(Ask.name, F.text == "crash")
    async def crash(message: Message, state: FSMContext) -> None:
        await state.set_state(Ask.floor)
        raise RuntimeError("the step failed after moving on")

    return router


async def test_failed_step_leaves_the_conversation_where_it_was(
    settings: Settings, emulator: Emulator
):
    """A step that fails after changing the state changes nothing: the bot still
    asks the same question (the state it remembers is only ever what committed)."""
    user = emulator.user(509, "Gus", language_code="en")
    async with start_bot(
        settings, emulator, extra_routers=[crashing_step_router(), two_step_router()]
    ):
        await user.send("/ask")
        await user.expect("What is your name?")
        await user.send("crash")
        await user.expect("Sorry, something went wrong")
        await user.send("Gus")
        await user.expect("Which floor?")
    # What it remembered is what the database holds: a new process agrees.
    async with start_bot(
        settings, emulator, extra_routers=[crashing_step_router(), two_step_router()]
    ):
        await user.send("3")
        await user.expect("Thanks Gus, floor 3")


async def test_cancel_leaves_any_flow(settings: Settings, emulator: Emulator):
    user = emulator.user(507, "Fay", language_code="en")
    async with start_bot(settings, emulator, extra_routers=[two_step_router()]):
        await user.send("/ask")
        await user.expect("What is your name?")
        await user.send("/cancel")
        await user.expect("Cancelled. Nothing was saved.")
        await user.send("Fay")
        await user.expect("I didn't catch that")


async def test_blocked_user_is_recorded(running_bot, emulator: Emulator, session_factory):
    from bot.sender import deliver

    user = emulator.user(508, "Gus", language_code="en")
    await user.send("/start")
    await user.expect("Welcome")
    user.block_bot()
    result = await deliver(running_bot.bot.send_message(508, "Your repair is done"))
    assert not result.ok and result.reason == "blocked"
    async with session_factory() as s:
        rows = (await s.scalars(select(DeliveryFailure))).all()
    assert [(r.chat_id, r.reason) for r in rows] == [(508, "blocked")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_rejects_wrong_secret(settings: Settings, emulator: Emulator) -> None:
    from aiohttp import web

    settings = settings.model_copy(
        update={"telegram_api": emulator.base_url, "webhook_secret": SecretStr("s3cret-token")}
    )
    app = await build_application(settings, migrate=False, start_scheduler=False)
    runner = web.AppRunner(build_webhook_app(app))
    await runner.setup()
    port = _free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    url = f"http://127.0.0.1:{port}{settings.webhook_path}"
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 509, "type": "private"},
            "from": {"id": 509, "is_bot": False, "first_name": "H", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    user = emulator.user(509, "H", language_code="en")
    try:
        with app.ctx.i18n.context():
            async with aiohttp.ClientSession() as http:
                bad = await http.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                )
                assert bad.status == 401
                missing = await http.post(url, json=update)
                assert missing.status == 401
                await user.expect_nothing(within=0.5)
                good = await http.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
                )
                assert good.status == 200
                await user.expect("Welcome to Courtyard")
    finally:
        await runner.cleanup()
        await app.close()


async def test_courtyard_run_process_talks_to_the_emulator(
    settings: Settings, emulator: Emulator, tmp_path: Path
) -> None:
    """`courtyard run` as a real process: migrate, poll the emulator, answer a user."""
    db = tmp_path / "run.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    env.update(
        COURTYARD_BOT_TOKEN="123456789:TEST-token-for-the-emulator",
        COURTYARD_TELEGRAM_API=emulator.base_url,
        COURTYARD_DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        COURTYARD_SECRET_KEY_FILE=str(tmp_path / "key"),
        COURTYARD_GATE_API_PORT=str(_free_port()),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        user = emulator.user(510, "Ivy", language_code="en")
        await user.send("/start")
        await user.expect("Welcome to Courtyard", timeout=60)
        assert (tmp_path / "key").exists()
    finally:
        proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, 15)
        except subprocess.TimeoutExpired:
            proc.kill()
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    async with create_session_factory(engine)() as s:
        assert await s.scalar(select(Person.full_name).where(Person.telegram_id == 510)) == "Ivy"
    await engine.dispose()
