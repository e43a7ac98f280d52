"""Webhook delivery: secret header, retries, replies in the response, aiogram's handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.emulator import Emulator


@dataclass
class Receiver:
    """A local webhook endpoint recording what the emulator posts."""

    url: str
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    # Returns (status, JSON body) for each request.
    respond: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]] = lambda update: (200, {})

    async def wait_for(self, count: int, seconds: float = 3.0) -> None:
        for _ in range(int(seconds / 0.01)):
            if len(self.requests) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"webhook got {len(self.requests)} requests, wanted {count}")


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    holder: list[Receiver] = []

    async def handle(request: web.Request) -> web.Response:
        update = await request.json()
        recv = holder[0]
        recv.requests.append((dict(request.headers), update))
        status, body = recv.respond(update)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner, base = await _serve(app)
    holder.append(Receiver(f"{base}/hook"))
    yield holder[0]
    await runner.cleanup()


async def test_delivery_with_secret_and_conflict(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emu.user(1001, "Alice")
    await bot.set_webhook(receiver.url, secret_token="s3cret-token_1")
    await alice.send("hello webhook")
    await receiver.wait_for(1)
    headers, update = receiver.requests[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret-token_1"
    assert update["message"]["text"] == "hello webhook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0


async def test_failed_delivery_is_retried_and_reported(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    attempts: list[int] = []

    def flaky(update: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        attempts.append(update["update_id"])
        return (500, {}) if len(attempts) == 1 else (200, {})

    receiver.respond = flaky
    await bot.set_webhook(receiver.url)
    await emu.user(1001, "Alice").send("retry me")
    await receiver.wait_for(2)
    assert attempts[0] == attempts[1]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.requests[0][0]


async def test_method_in_webhook_response_is_executed(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    receiver.respond = lambda update: (
        200,
        {"method": "sendMessage", "chat_id": update["message"]["chat"]["id"], "text": "pong"},
    )
    await bot.set_webhook(receiver.url)
    alice = emu.user(1001, "Alice")
    await alice.send("ping")
    assert (await alice.expect(text="pong"))["from"]["is_bot"]


async def test_aiogram_webhook_handler_end_to_end(emu: Emulator, bot: Bot) -> None:
    """aiogram checks the secret header and answers in the response (multipart)."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> Any:
        return message.answer("Welcome via webhook")  # returned: sent in the response

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="abc").register(
        app, path="/tg"
    )
    runner, base = await _serve(app)
    try:
        await bot.set_webhook(f"{base}/tg", secret_token="abc")
        alice = emu.user(1001, "Alice")
        await alice.send("/start")
        await alice.expect(text="Welcome via webhook")
        await bot.delete_webhook()
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()
