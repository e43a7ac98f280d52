"""One conversation's updates are handled in update id order, whatever order they
arrive in and whichever process (dispatcher) they reach (bot.ordering)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message, Update
from redis.asyncio import Redis

from bot.dispatcher import CourtyardDispatcher
from bot.ordering import WEBHOOK_GRACE_S, LocalTurns
from bot.ordering_redis import RedisTurns
from tests.replicas.conftest import REDIS_URL

BOT_ID = 42
CHAT = 7001


def _message(update_id: int, text: str, chat: int = CHAT) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "U"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": user,
            "text": text,
        },
    }


def _recording_dispatcher(turns: Any, seen: list[tuple[int, str]]) -> CourtyardDispatcher:
    router = Router()

    @router.message(F.text)
    async def record(message: Message) -> None:
        seen.append((message.chat.id, message.text or ""))
        await asyncio.sleep(0.005)  # a handler takes a moment: later ones would overtake

    dp = CourtyardDispatcher(storage=MemoryStorage(), events_isolation=turns)
    dp.include_router(router)
    return dp


async def _deliver_shuffled(
    dps: list[CourtyardDispatcher], bot: Bot, updates: list[dict[str, Any]], seed: int
) -> None:
    """Every update to one of the dispatchers, in a shuffled order, each within 20 ms
    (Telegram posting several at once, a balancer spreading them)."""
    rng = random.Random(seed)
    order = updates[:]
    rng.shuffle(order)

    async def one(n: int, raw: dict[str, Any]) -> None:
        await asyncio.sleep(n * 0.002)
        update = Update.model_validate(raw, context={"bot": bot})
        await dps[n % len(dps)].feed_update(bot, update)

    await asyncio.gather(*(one(n, raw) for n, raw in enumerate(order)))


async def test_local_turns_follow_update_ids_not_arrival() -> None:
    turns = LocalTurns()
    turns.grace = WEBHOOK_GRACE_S
    seen: list[tuple[int, str]] = []
    dp = _recording_dispatcher(turns, seen)
    bot = Bot(f"{BOT_ID}:TEST")
    try:
        updates = [_message(100 + n, f"step {n}") for n in range(8)]
        updates += [_message(200 + n, f"other {n}", chat=CHAT + 1) for n in range(4)]
        await _deliver_shuffled([dp], bot, updates, seed=1)
    finally:
        await bot.session.close()
    assert [t for c, t in seen if c == CHAT] == [f"step {n}" for n in range(8)]
    assert [t for c, t in seen if c == CHAT + 1] == [f"other {n}" for n in range(4)]


async def test_two_dispatchers_sharing_redis_keep_a_chats_order(redis_prefix: str) -> None:
    """Two "replicas" (each its own Redis connection, its own dispatcher) get one
    chat's steps out of order: they are handled in update id order."""
    clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    turns = [RedisTurns(c, prefix=redis_prefix) for c in clients]
    seen: list[tuple[int, str]] = []
    dps = [_recording_dispatcher(t, seen) for t in turns]
    for t in turns:
        t.grace = WEBHOOK_GRACE_S
    bot = Bot(f"{BOT_ID}:TEST")
    try:
        for round_, seed in enumerate((3, 4)):
            seen.clear()
            base = 1000 + 100 * round_
            updates = [_message(base + n, f"step {n}") for n in range(10)]
            updates += [_message(base + 50 + n, f"other {n}", chat=CHAT + 1) for n in range(3)]
            await _deliver_shuffled(dps, bot, updates, seed=seed)
            assert [t for c, t in seen if c == CHAT] == [f"step {n}" for n in range(10)]
            assert [t for c, t in seen if c == CHAT + 1] == [f"other {n}" for n in range(3)]
    finally:
        await bot.session.close()
        for t in turns:
            await t.close()
        for c in clients:
            await c.aclose()


async def test_a_dead_replicas_turn_expires(redis_prefix: str) -> None:
    """A replica that dies holding a conversation's turn blocks it only until the
    turn's time to live runs out."""
    dead_client, live_client = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    dead = RedisTurns(dead_client, prefix=redis_prefix, ttl_ms=600)
    live = RedisTurns(live_client, prefix=redis_prefix, ttl_ms=600)
    key = StorageKey(bot_id=BOT_ID, chat_id=CHAT, user_id=CHAT)
    holding = asyncio.Event()

    async def die_holding() -> None:
        async with dead.turn(key, 1):
            holding.set()
            await asyncio.Event().wait()

    holder = asyncio.create_task(die_holding())
    try:
        await holding.wait()
        assert dead._keeper is not None
        dead._keeper.cancel()  # the process is gone: nobody keeps its turn alive
        async with asyncio.timeout(10):
            async with live.turn(key, 2):
                pass
    finally:
        holder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await holder
        for t in (dead, live):
            await t.close()
        for c in (dead_client, live_client):
            await c.aclose()
