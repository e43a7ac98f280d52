"""Throughput and latency of the real dispatcher on a realistic mix of updates.

Pushes the mix (new users' /start, the home menu, a multi-step conversation,
a language switch, unknown input) through the real application — middlewares,
identity, database-backed conversation state, handlers — on a real SQLite file,
and the same number of updates through a bare aiogram echo dispatcher in the same
run. Bot API calls are answered in-process (bench/_local_session.py) so the
numbers are ours, not the network's. Prints one JSON line.

    uv run python bench/updates.py [--users 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.types import Message, Update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._local_session import LocalSession
from bot.context import AppContext
from bot.dispatcher import create_dispatcher
from bot.i18n import create_i18n
from bot.settings import Settings
from bot.storage import DatabaseStorage
from core.clock import SystemClock
from core.db import create_engine, create_session_factory
from core.migrate import upgrade_database_async

_uid = 0


def _next() -> int:
    global _uid
    _uid += 1
    return _uid


def message(user_id: int, text: str, lang: str = "zh-hans") -> dict[str, Any]:
    return {
        "update_id": _next(),
        "message": {
            "message_id": _next(),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": lang},
            "text": text,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
                if text.startswith("/")
                else {}
            ),
        },
    }


def callback(user_id: int, data: str, lang: str = "zh-hans") -> dict[str, Any]:
    return {
        "update_id": _next(),
        "callback_query": {
            "id": str(_next()),
            "chat_instance": "ci",
            "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": lang},
            "message": {
                "message_id": _next(),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "U"},
                "from": {"id": 123456789, "is_bot": True, "first_name": "Courtyard"},
                "text": "menu",
            },
            "data": data,
        },
    }


def conversation(user_id: int) -> list[dict[str, Any]]:
    """One user's session: first contact, menu, a multi-step flow, language, noise."""
    lang = "en" if user_id % 3 == 0 else "zh-hans"
    steps: list[dict[str, Any]] = [
        message(user_id, "/start", lang),
        callback(user_id, "menu:home", lang),
        message(user_id, "/help", lang),
    ]
    steps += flow_steps(user_id, lang)
    steps += [
        message(user_id, "/language", lang),
        callback(user_id, "lang:en", lang),
        message(user_id, "hello?", lang),
        message(user_id, "/nosuchcommand", lang),
        message(user_id, "/cancel", lang),
    ]
    return steps


def flow_steps(user_id: int, lang: str) -> list[dict[str, Any]]:
    """A multi-step conversation through the move-in application when it exists."""
    try:
        import handlers.movein  # noqa: F401
    except ImportError:
        return [message(user_id, "/start", lang), message(user_id, "/cancel", lang)]
    return [callback(user_id, "menu:movein", lang), message(user_id, "not a button", lang)]


async def drive(dp: Dispatcher, bot: Bot, updates: list[list[dict[str, Any]]]) -> list[float]:
    """Users run concurrently; each user's updates are sequential (as Telegram delivers)."""
    latencies: list[float] = []

    async def user_session(items: list[dict[str, Any]]) -> None:
        for raw in items:
            update = Update.model_validate(raw, context={"bot": bot})
            t0 = time.perf_counter()
            await dp.feed_update(bot, update)
            latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(user_session(u) for u in updates))
    return latencies


async def main(users: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await upgrade_database_async(url)
    settings = Settings(
        bot_token="123456789:BENCH",  # type: ignore[arg-type]
        database_url=url,
        secret_key="bench",  # type: ignore[arg-type]
        secret_key_file=tmp / "key",
    )
    engine = create_engine(url)
    factory = create_session_factory(engine)
    i18n = create_i18n()
    ctx = AppContext(settings, engine, factory, i18n, SystemClock())
    bot = Bot("123456789:BENCH", session=LocalSession())
    ctx.bot = bot
    dp = create_dispatcher(ctx, DatabaseStorage(factory))

    # Warm-up (imports, statement caches), not measured.
    with i18n.context():
        await drive(dp, bot, [conversation(9_000_000 + i) for i in range(5)])
        batches = [conversation(1_000 + i) for i in range(users)]
        total = sum(len(b) for b in batches)
        t0 = time.perf_counter()
        latencies = await drive(dp, bot, batches)
        elapsed = time.perf_counter() - t0

    echo = Dispatcher()

    @echo.message(F.text)
    async def _echo(msg: Message) -> None:
        await msg.answer(msg.text or "")

    @echo.callback_query()
    async def _cb(query: Any) -> None:
        await query.answer()

    echo_batches = [conversation(500_000 + i) for i in range(users)]
    t0 = time.perf_counter()
    await drive(echo, bot, echo_batches)
    echo_elapsed = time.perf_counter() - t0
    await engine.dispose()

    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    ups = total / elapsed
    echo_ups = sum(len(b) for b in echo_batches) / echo_elapsed
    return {
        "bench": "updates",
        "updates": total,
        "updates_per_s": round(ups, 1),
        "echo_updates_per_s": round(echo_ups, 1),
        "ratio": round(ups / echo_ups, 3),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(p99, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.users))))
