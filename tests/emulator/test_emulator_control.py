"""The user-side HTTP control API and its Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiogram import Dispatcher, F
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)

from bot.emulator import Emulator
from tests.emulator.helpers import StartPolling, make_jpeg


async def call(
    http: aiohttp.ClientSession, emu: Emulator, verb: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.request(verb, f"{emu.base_url}/_emulator{path}", **kwargs) as response:
        return response.status, await response.json()


def echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(F.text == "/menu")
    async def menu(message: Message) -> None:
        await message.answer(
            "Menu",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Ping", callback_data="ping")]]
            ),
        )

    @dp.message(F.text == "/invoice")
    async def invoice(message: Message) -> None:
        await message.answer_invoice(
            "Fee", "March", "fee-1", currency="XTR", prices=[LabeledPrice(label="Fee", amount=9)]
        )

    @dp.message(F.photo)
    async def photo(message: Message) -> None:
        await message.answer(f"photo {message.photo[-1].width}")  # type: ignore[index]

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    @dp.callback_query()
    async def pong(query: CallbackQuery) -> None:
        await query.answer("pong")

    @dp.pre_checkout_query()
    async def checkout(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    return dp


async def test_users_chats_history_and_acting(
    emu: Emulator, polling: StartPolling, http: aiohttp.ClientSession
) -> None:
    await polling(echo_dispatcher())
    status, created = await call(
        http, emu, "POST", "/users", json={"id": 1001, "first_name": "Alice"}
    )
    assert status == 200 and created["result"]["first_name"] == "Alice"
    _, sent = await call(http, emu, "POST", "/chats/1001/messages", json={"text": "hi"})
    assert sent["result"]["text"] == "hi"
    await emu.user(1001).expect(text="echo: hi")
    _, history = await call(http, emu, "GET", "/chats/1001/messages")
    assert [m["text"] for m in history["result"]] == ["hi", "echo: hi"]
    _, chats = await call(http, emu, "GET", "/chats")
    assert chats["result"][0]["last_message"]["text"] == "echo: hi"

    form = aiohttp.FormData()
    form.add_field("photo", make_jpeg(400, 300), filename="p.jpg", content_type="image/jpeg")
    form.add_field("caption", "look")
    _, photo = await call(http, emu, "POST", "/chats/1001/photo", data=form)
    file_id = photo["result"]["photo"][-1]["file_id"]
    await emu.user(1001).expect(text="photo 400")
    async with http.get(f"{emu.base_url}/_emulator/files/{file_id}") as response:
        assert response.content_type == "image/jpeg"
        assert await response.read() == make_jpeg(400, 300)

    await call(http, emu, "POST", "/chats/1001/messages", json={"text": "/menu"})
    menu = await emu.user(1001).expect(text="Menu")
    _, pressed = await call(
        http,
        emu,
        "POST",
        "/chats/1001/press",
        json={"message_id": menu["message_id"], "text": "Ping"},
    )
    assert pressed["result"]["text"] == "pong"

    await call(http, emu, "POST", "/chats/1001/messages", json={"text": "/invoice"})
    invoice = await emu.user(1001).expect(invoice=True)
    _, paid = await call(
        http, emu, "POST", "/chats/1001/pay", json={"message_id": invoice["message_id"]}
    )
    assert paid["result"]["status"] == "paid"
    assert paid["result"]["message"]["successful_payment"]["total_amount"] == 9


async def test_groups_topics_and_errors(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, group = await call(
        http, emu, "POST", "/groups", json={"id": -100321, "title": "Staff", "is_forum": True}
    )
    assert status == 200 and group["result"]["type"] == "supergroup"
    await call(
        http,
        emu,
        "POST",
        "/groups/-100321/members",
        json={"user_id": 2001, "first_name": "Mike", "status": "administrator"},
    )
    _, topic = await call(
        http, emu, "POST", "/groups/-100321/topics", json={"from_user": 2001, "name": "Lobby"}
    )
    thread_id = topic["result"]["message_thread_id"]
    _, sent = await call(
        http,
        emu,
        "POST",
        "/chats/-100321/messages",
        json={"from_user": 2001, "text": "hello", "thread_id": thread_id},
    )
    assert sent["result"]["message_thread_id"] == thread_id
    _, info = await call(http, emu, "GET", "/chats/-100321")
    assert info["result"]["topics"][0]["name"] == "Lobby"
    assert {m["status"] for m in info["result"]["members"]} == {"administrator"}

    status, error = await call(http, emu, "POST", "/chats/-100321/messages", json={"text": "x"})
    assert status == 400 and error == {"ok": False, "error": "from_user is required in groups"}
    status, error = await call(http, emu, "GET", "/chats/555/messages")
    assert status == 404 and "unknown chat" in error["error"]
    status, error = await call(
        http, emu, "POST", "/chats/-100321/messages", json={"from_user": 9, "text": "x"}
    )
    assert status == 404


async def test_event_stream_replays_and_follows(
    emu: Emulator, polling: StartPolling, http: aiohttp.ClientSession
) -> None:
    await polling(echo_dispatcher())
    alice = emu.user(1001, "Alice")
    await alice.send("before")
    await alice.expect(text="echo: before")

    events: list[dict[str, Any]] = []

    async def follow() -> None:
        async with http.get(f"{emu.base_url}/_emulator/events?since=0") as response:
            assert response.content_type == "text/event-stream"
            async for raw in response.content:
                line = raw.decode().strip()
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))

    reader = asyncio.create_task(follow())
    await alice.send("after")
    await alice.expect(text="echo: after")
    for _ in range(200):
        texts = [e["message"].get("text") for e in events if e["type"] == "message"]
        if "echo: after" in texts:
            break
        await asyncio.sleep(0.01)
    reader.cancel()
    messages = [(e["by"], e["message"]["text"]) for e in events if e["type"] == "message"]
    assert messages == [
        ("user", "before"),
        ("bot", "echo: before"),
        ("user", "after"),
        ("bot", "echo: after"),
    ]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert any(e["type"] == "api_call" and e["method"] == "sendMessage" for e in events)
    _, log = await call(http, emu, "GET", "/events/log?since=0&limit=3")
    assert len(log["result"]) == 3


async def test_settings_and_injection(emu: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.options(f"{emu.base_url}/_emulator/settings") as preflight:
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    _, info = await call(http, emu, "POST", "/settings", json={"flood_limits": True})
    assert info["result"]["flood_limits"] == {"private_per_second": 1, "group_per_minute": 20}
    update = {
        "update_id": 77,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"},
    }
    _, injected = await call(http, emu, "POST", "/updates", json=update)
    assert injected["result"]["update_id"] == 77
    _, pending = await call(http, emu, "GET", "/updates/pending")
    assert pending["result"] == [update]
