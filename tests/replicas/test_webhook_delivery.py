"""The webhook handles an update, then acknowledges it; an update delivered again is
handled once; stopping answers 503 to new updates and finishes those in flight."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import F, Router
from aiogram.types import Message
from aiohttp import web
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Application, build_application
from bot.emulator import Emulator
from bot.ledger import UpdateLedger
from bot.middlewares.db import DbSessionMiddleware
from bot.settings import Settings
from bot.webhook import WEBHOOK_KEY, WebhookHandler, build_webhook_app
from core.db import utcnow
from core.delivery import HandledUpdate
from core.models import DeliveryFailure
from tests.replicas.conftest import REDIS_URL, free_port

SECRET = "replicas-webhook-secret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@dataclass
class Slow:
    """A handler that writes a row and waits for the test before returning."""

    router: Router = field(default_factory=Router)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        @self.router.message(F.text.startswith("slow"))
        async def slow(message: Message, session: AsyncSession) -> None:
            self.calls.append(message.text or "")
            session.add(
                DeliveryFailure(
                    at=utcnow(),
                    chat_id=message.chat.id,
                    method="test",
                    reason="test",
                    description=message.text or "",
                )
            )
            self.entered.set()
            await self.release.wait()


@dataclass
class Hook:
    url: str
    handler: WebhookHandler
    slow: Slow
    http: aiohttp.ClientSession
    app: Application

    def another_process(self) -> None:
        """Forget what this process took, as another replica (or a restart) would."""
        mw = next(
            m for m in self.app.dp.update.outer_middleware if isinstance(m, DbSessionMiddleware)
        )
        assert mw.ledger is not None
        mw.ledger = UpdateLedger(self.app.ctx.engine, replicas=mw.ledger.replicas)

    async def post(self, update: dict[str, Any]) -> int:
        async with self.http.post(self.url, json=update, headers=HEADERS) as response:
            return response.status


def _update(update_id: int, text: str, chat: int = 5301) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "W", "language_code": "en"},
            "text": text,
        },
    }


@contextlib.asynccontextmanager
async def webhook(settings: Settings, emulator: Emulator) -> AsyncIterator[Hook]:
    settings = settings.model_copy(
        update={"telegram_api": emulator.base_url, "webhook_secret": SecretStr(SECRET)}
    )
    app = await build_application(
        settings, migrate=False, start_scheduler=False, start_services=False
    )
    slow = Slow()
    slow.router.parent_router = app.dp  # right after the common router, as tests/harness.py
    app.dp.sub_routers.remove(slow.router)
    app.dp.sub_routers.insert(2, slow.router)
    web_app = build_webhook_app(app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with app.ctx.i18n.context():
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}{settings.webhook_path}"
                yield Hook(url, web_app[WEBHOOK_KEY], slow, http, app)
    finally:
        slow.release.set()
        await runner.cleanup()
        await app.close()


async def _redis_settings(settings: Settings) -> Settings:
    """Conversations, turns and send limits in the tests' Redis database, emptied."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    for pattern in ("courtyard:*", "fsm:*"):
        async for key in client.scan_iter(match=pattern):
            await client.delete(key)
    await client.aclose()
    return settings.model_copy(update={"fsm_storage": "redis", "redis_url": REDIS_URL})


async def _count(session_factory: Any, model: Any) -> int:
    async with session_factory() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_answered_only_after_the_commit(settings, emulator, session_factory) -> None:
    emulator.user(5301, "W", language_code="en")
    async with webhook(settings, emulator) as hook:
        answer = asyncio.create_task(hook.post(_update(71, "slow one")))
        await asyncio.wait_for(hook.slow.entered.wait(), 30)
        await asyncio.sleep(0.3)
        assert not answer.done()  # handling: Telegram gets no answer yet
        assert await _count(session_factory, DeliveryFailure) == 0
        hook.slow.release.set()
        assert await answer == 200
        # The answer came after the commit: its row and the update's are there.
        assert await _count(session_factory, DeliveryFailure) == 1
        assert await _count(session_factory, HandledUpdate) == 1


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_an_update_delivered_again_is_handled_once(
    settings, emulator, session_factory, store: str
) -> None:
    """One process keeps what it took in memory; replicas ask the conversation's turn
    in Redis whether the id may have been handled (then the table)."""
    emulator.user(5301, "W", language_code="en")
    if store == "redis":
        settings = await _redis_settings(settings)
    async with webhook(settings, emulator) as hook:
        hook.slow.release.set()
        update = _update(72, "slow two")
        # Twice at once (Telegram timed out on a slow replica and tried another), then
        # once more after (the answer was lost).
        assert await asyncio.gather(hook.post(update), hook.post(update)) == [200, 200]
        assert await hook.post(update) == 200
        assert hook.slow.calls == ["slow two"]
        # Delivered again to a process that never saw it: the table says it was handled.
        hook.another_process()
        assert await hook.post(update) == 200
        assert hook.slow.calls == ["slow two"]
        assert await _count(session_factory, DeliveryFailure) == 1
        # A new update of the same chat is handled as usual.
        assert await hook.post(_update(73, "slow three")) == 200
        assert hook.slow.calls == ["slow two", "slow three"]


async def test_stopping_refuses_new_updates_and_finishes_those_in_flight(
    settings, emulator, session_factory
) -> None:
    emulator.user(5301, "W", language_code="en")
    async with webhook(settings, emulator) as hook:
        in_flight = asyncio.create_task(hook.post(_update(74, "slow four")))
        await asyncio.wait_for(hook.slow.entered.wait(), 30)
        draining = asyncio.create_task(hook.handler.drain())  # what SIGTERM does
        await asyncio.sleep(0.1)
        # Telegram gets 503 for what comes now, and delivers it again later.
        assert await hook.post(_update(75, "slow five", chat=5302)) == 503
        async with hook.http.get(hook.url.rsplit("/telegram", 1)[0] + "/health") as health:
            assert health.status == 503
        assert not draining.done()
        hook.slow.release.set()
        assert await in_flight == 200
        await asyncio.wait_for(draining, 10)
        assert hook.slow.calls == ["slow four"]
        assert await _count(session_factory, DeliveryFailure) == 1
