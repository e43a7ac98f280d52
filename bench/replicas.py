"""Updates per second through 1 and through 3 bot processes on PostgreSQL and Redis.

The deployment issue 14 describes: every process a full application (middlewares,
the update ledger, identity, handlers) with the conversations, the chats' turns and
the send limits in Redis, one PostgreSQL database. The same mix as bench/updates.py
(its workers: each process fed its share of the users, Bot API calls answered
in-process), run in one go with 1 process and then 3, on a fresh database each.

    uv run python bench/replicas.py [--users 150] [--rate 150] [--seconds 5]

Readings, per deployment: ``updates_per_s`` (every user at once, closed loop),
``p50_ms``/``p99_ms`` at the same offered ``--rate`` for both (open loop, from each
update's scheduled arrival), and ``cpu_s`` — the CPU seconds each process used over
both readings (``cpu_total_s``: with its start-up and warm-up), with
``cpu_ms_per_update`` over the updates handled meanwhile (both readings, and the
latency reading's warm-up: its people talk to the bot once first).
Prints one JSON line; ``ratio`` is 3 processes' throughput over 1's. On a machine with
fewer free cores than processes the ratio measures the cores, not the design.

PostgreSQL: ``COURTYARD_BENCH_DATABASE_URL`` (a server where a scratch database may be
created and dropped; default ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``).
Redis: ``COURTYARD_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/1``); keys
under a prefix of this run, expiring.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import updates
from core.db import create_engine
from core.migrate import upgrade_database_async

PG = os.environ.get(
    "COURTYARD_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("COURTYARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Clocked:
    """The workers' barrier, noting the CPU used when the first reading starts (after
    start-up, the application's build and the warm-up)."""

    def __init__(self, barrier: Any) -> None:
        self.barrier = barrier
        self.cpu_at_start: float | None = None

    def wait(self) -> Any:
        if self.cpu_at_start is None:
            self.cpu_at_start = _cpu_s()
        return self.barrier.wait()


def _process(job: dict[str, Any], barrier: Any, results: Any) -> None:
    clocked = _Clocked(barrier)
    result = asyncio.run(updates._worker(job, clocked))
    result["cpu_s"] = _cpu_s() - (clocked.cpu_at_start or 0.0)
    result["cpu_total_s"] = _cpu_s()
    results.put((job["index"], result))


def run(base: dict[str, Any], processes: int) -> list[dict[str, Any]]:
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=_process, args=({**base, "index": i, "processes": processes}, barrier, results)
        )
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    out = dict(results.get() for _ in workers)
    for w in workers:
        w.join()
    return [out[i] for i in range(processes)]


async def _admin(sql: str) -> None:
    url = make_url(PG).set(database="postgres").render_as_string(hide_password=False)
    engine = create_engine(url, pool=False)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def deployment(processes: int, users: int, rate: float, seconds: float) -> dict[str, Any]:
    name = f"courtyard_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(upgrade_database_async(url))
        tmp = Path(f"/tmp/{name}")
        tmp.mkdir(exist_ok=True)
        parts = run(
            {
                "url": url,
                "tmp": str(tmp),
                "users": users,
                "seconds": seconds,
                "prefix": f"bench-{uuid.uuid4().hex[:8]}",
                "kind": "app",
                "storage": "redis",
                "first_user": 1_000,
                "warm_user": 9_000_000,
                "sequential": False,
                "rate": rate,
                "latency_user": 3_000_000,
            },
            processes,
        )
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    latencies = [x for p in parts for x in p["latencies"]]
    # Both readings, and the latency reading's warm-up: each process's 100 people
    # talk to the bot once first (bench/updates.py).
    warm_up = processes * 100 * len(updates.conversation(1))
    handled = sum(p["updates"] for p in parts) + sum(p["sent"] for p in parts) + warm_up
    cpu = [round(p["cpu_s"], 2) for p in parts]
    return {
        "updates_per_s": round(updates.throughput(parts), 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(updates.percentile(latencies, 0.99), 2),
        "cpu_s": cpu,
        "cpu_total_s": [round(p["cpu_total_s"], 2) for p in parts],
        "cpu_ms_per_update": round(sum(cpu) * 1000 / handled, 2),
    }


def main(users: int, rate: float, seconds: float) -> dict[str, Any]:
    os.environ["COURTYARD_REDIS_URL"] = REDIS  # the workers' settings read it
    load_before = os.getloadavg()[0]
    started = time.time()
    one = deployment(1, users, rate, seconds)
    three = deployment(3, users, rate, seconds)
    return {
        "bench": "replicas",
        "users": users,
        "rate": rate,
        "one": one,
        "three": three,
        "ratio": round(three["updates_per_s"] / one["updates_per_s"], 2),
        "cores": os.cpu_count(),
        "load_avg": round(max(load_before, os.getloadavg()[0]), 2),
        "wall_s": round(time.time() - started, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--rate", type=float, default=150.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(json.dumps(main(args.users, args.rate, args.seconds)))
