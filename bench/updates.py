"""Throughput and latency of the real dispatcher on a realistic mix of updates.

Pushes the mix (new users' /start, the home menu, a multi-step conversation,
a language switch, unknown input) through the real application — middlewares,
identity, conversation state, handlers — on a real SQLite file, and the same
updates through a bare aiogram echo dispatcher in the same run. Bot API calls are
answered in-process (bench/_local_session.py) so the numbers are ours, not the
network's. Prints one JSON line.

    uv run python bench/updates.py [--users 300] [--processes N] [--rate 1000]
                                   [--seconds 5]

One Python process uses one core. The deployment for more than one core is
several bot processes behind the webhook's load balancer, sharing the database,
with Redis for conversation state and the per-chat lock (COURTYARD_FSM_STORAGE=
redis); ``--processes N`` runs that, each process a full application fed its
share of the users (default 1: the embedded defaults, state in the database).
Readings, for the real application and for the echo dispatcher, on the same
machine in the same run:

  throughput   every user at once, each user's updates in order (closed loop):
               updates_per_s, echo_updates_per_s
  latency      an open-loop load of ``--rate`` updates/s for ``--seconds`` s
               spread over the processes: p50_ms / p99_ms, measured from each
               update's scheduled arrival, so queueing counts; 100 people who
               have talked to the bot before, each at a different step of the mix
  sequential   one user, one update at a time: sequential_p50_ms /
               sequential_p99_ms (the cost of an update with nothing else going on)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
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
from bot.storage import create_storage
from core.clock import SystemClock
from core.db import create_engine, create_session_factory
from core.heap import freeze_startup_heap
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


async def open_loop(
    dp: Dispatcher, bot: Bot, users: list[list[dict[str, Any]]], rate: float, seconds: float
) -> tuple[list[float], int]:
    """Updates arrive at ``rate`` per second whatever happens to earlier ones; latency
    counts from the scheduled arrival. Arrivals visit the users in turn, so each
    user's updates stay in order and far apart, and the users are spread over their
    conversations (user ``u`` starts at step ``u``), as people at any moment are at
    different steps: every stretch of time carries the whole mix, not a hundred
    language switches in a row."""
    latencies: list[float] = []
    cursors = list(range(len(users)))
    tasks: list[asyncio.Task[None]] = []

    async def one(raw: dict[str, Any], due: float) -> None:
        update = Update.model_validate(raw, context={"bot": bot})
        await dp.feed_update(bot, update)
        latencies.append((time.perf_counter() - due) * 1000)

    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        u = i % len(users)
        raw = users[u][cursors[u] % len(users[u])]
        cursors[u] += 1
        tasks.append(asyncio.create_task(one(raw, due)))
    await asyncio.gather(*tasks)
    return latencies, total


def echo_dispatcher() -> Dispatcher:
    echo = Dispatcher()

    @echo.message(F.text)
    async def _echo(msg: Message) -> None:
        await msg.answer(msg.text or "")

    @echo.callback_query()
    async def _cb(query: Any) -> None:
        await query.answer()

    return echo


async def application(url: str, tmp: Path, storage_kind: str, prefix: str) -> tuple[Any, Any]:
    settings = Settings(
        bot_token="123456789:BENCH",  # type: ignore[arg-type]
        database_url=url,
        secret_key="bench",  # type: ignore[arg-type]
        secret_key_file=tmp / "key",
        fsm_storage=storage_kind,  # type: ignore[arg-type]
    )
    engine = create_engine(url)
    factory = create_session_factory(engine)
    i18n = create_i18n()
    ctx = AppContext(settings, engine, factory, i18n, SystemClock())
    bot = Bot("123456789:BENCH", session=LocalSession())
    ctx.bot = bot
    storage = create_storage(settings, factory)
    if storage_kind == "redis":  # this run's keys only, and gone soon after
        from aiogram.fsm.storage.redis import DefaultKeyBuilder

        storage.key_builder = DefaultKeyBuilder(prefix=prefix, with_destiny=True)  # type: ignore[attr-defined]
        storage.state_ttl = storage.data_ttl = 600  # type: ignore[attr-defined]
    dp = create_dispatcher(ctx, storage)
    turns = getattr(dp, "fsm").events_isolation  # noqa: B009
    if hasattr(turns, "prefix"):  # the chats' turns in Redis: this run's keys only
        turns.prefix = f"{prefix}:turns"
    return (dp, bot, i18n, engine, storage), ctx


async def _worker(job: dict[str, Any], barrier: Any) -> dict[str, Any]:
    global _uid
    index, processes = job["index"], job["processes"]
    # Update ids are unique across the processes, as Telegram's are: an id seen twice
    # is a redelivery, handled once (bot.ledger).
    _uid = index * 1_000_000_000
    mine = range(job["first_user"] + index, job["first_user"] + job["users"], processes)
    if job["kind"] == "echo":
        dp = echo_dispatcher()
        bot = Bot("123456789:BENCH", session=LocalSession())
        i18n = None
        engine = storage = None
    else:
        (dp, bot, i18n, engine, storage), _ = await application(
            job["url"], Path(job["tmp"]), job["storage"], job["prefix"]
        )
    result: dict[str, Any] = {}
    with i18n.context() if i18n is not None else contextlib.nullcontext():
        await drive(dp, bot, [conversation(job["warm_user"] + index * 10 + i) for i in range(5)])
        freeze_startup_heap()  # as `courtyard run` does once started
        if job["sequential"]:
            seq = await drive(dp, bot, [[u for k in range(40) for u in conversation(7_000 + k)]])
            result["sequential"] = seq
        batches = [conversation(uid) for uid in mine]
        barrier.wait()
        t0 = time.time()
        await drive(dp, bot, batches)
        result.update(start=t0, end=time.time(), updates=sum(len(b) for b in batches))
        if job["rate"]:
            users = [conversation(job["latency_user"] + index + k * processes) for k in range(100)]
            # Steady state: these people have talked to the bot before (first
            # contacts are measured in the throughput reading above).
            await drive(dp, bot, users)
            barrier.wait()
            latencies, sent = await open_loop(
                dp, bot, users, job["rate"] / processes, job["seconds"]
            )
            result.update(latencies=latencies, sent=sent)
    if storage is not None:
        await storage.close()
    if engine is not None:
        await engine.dispose()
    return result


def _process(job: dict[str, Any], barrier: Any, results: Any) -> None:
    results.put((job["index"], asyncio.run(_worker(job, barrier))))


def run_processes(base: dict[str, Any], processes: int) -> list[dict[str, Any]]:
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=_process,
            args=({**base, "index": i, "processes": processes}, barrier, results),
        )
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    out = dict(results.get() for _ in workers)
    for w in workers:
        w.join()
    return [out[i] for i in range(processes)]


def throughput(parts: list[dict[str, Any]]) -> float:
    wall = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    return sum(p["updates"] for p in parts) / wall


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)]


def main(users: int, processes: int, rate: float, seconds: float) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    asyncio.run(upgrade_database_async(url))
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    load_before = os.getloadavg()[0]
    common = {"url": url, "tmp": str(tmp), "users": users, "seconds": seconds, "prefix": prefix}
    # One process uses the embedded defaults (conversation state in the database);
    # several share the database and keep state and per-chat locks in Redis.
    storage = "redis" if processes > 1 else "database"
    app = run_processes(
        {
            **common,
            "kind": "app",
            "storage": storage,
            "first_user": 1_000,
            "warm_user": 9_000_000,
            "sequential": True,
            "rate": rate,
            "latency_user": 3_000_000,
        },
        processes,
    )
    echo = run_processes(
        {
            **common,
            "kind": "echo",
            "storage": "",
            "first_user": 500_000,
            "warm_user": 9_100_000,
            "sequential": False,
            "rate": rate,
            "latency_user": 5_000_000,
        },
        processes,
    )
    latencies = [x for p in app for x in p["latencies"]]
    echo_latencies = [x for p in echo for x in p["latencies"]]
    sequential = app[0]["sequential"]
    ups, echo_ups = throughput(app), throughput(echo)
    return {
        "bench": "updates",
        "updates": sum(p["updates"] for p in app),
        "updates_per_s": round(ups, 1),
        "echo_updates_per_s": round(echo_ups, 1),
        "ratio": round(ups / echo_ups, 3),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "rate": rate,
        "echo_p99_ms": round(percentile(echo_latencies, 0.99), 2),
        "sequential_p50_ms": round(statistics.median(sequential), 2),
        "sequential_p99_ms": round(percentile(sequential, 0.99), 2),
        "processes": processes,
        "conversation_state": storage,
        "load_avg": round(max(load_before, os.getloadavg()[0]), 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(json.dumps(main(args.users, args.processes, args.rate, args.seconds)))
