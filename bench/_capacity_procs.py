"""The processes of ``bench/capacity.py``: CPU and memory of a process, waiting for its
``/readyz``, their environment, and the chat process (the real dispatcher fed the
realistic mix of ``bench/updates.py`` at a rate, on command: ``python
bench/_capacity_procs.py --url URL --tmp DIR``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GRACE_S = 10.0
SECRET = "bench-secret-key-not-for-production"  # as bench/gate.py
TICKS = os.sysconf("SC_CLK_TCK")
_T = TypeVar("_T")
#: This bench's keys in a shared Redis (the chat's conversations and turns).
REDIS_PREFIX = "courtyard-capacity"


# --- the processes -----------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """The process's own child processes (the gate API's face workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_cpu_seconds(pid: int) -> float:
    """:func:`cpu_seconds` of the process and of its living children."""
    total = cpu_seconds(pid)
    for child in children(pid):
        with contextlib.suppress(OSError, IndexError):
            total += cpu_seconds(child)
    return total


def run_sync(url: str, fn: Callable[[Any], _T]) -> _T:
    """``fn(connection)`` in one transaction on any backend (asyncpg has no synchronous
    twin: SQLAlchemy's ``run_sync`` bridges to it)."""
    from core.db import create_engine

    async def go() -> _T:
        engine = create_engine(url, pool=False)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def reset_postgres(url: str) -> None:
    """An empty ``public`` schema: the run starts from nothing, as on SQLite."""
    from sqlalchemy import text

    def drop(conn: Any) -> None:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))

    run_sync(url, drop)


def rss_mb(pid: int) -> int:
    """Resident memory of the process and its children (the gate API's face workers)."""
    kb = 0
    for each in (pid, *children(pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kb += int(line.split()[1])
    return kb // 1024


def wait_ready(url: str, what: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} was not ready in {timeout:.0f} s")


def environment(url: str, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    env.update(
        COURTYARD_DATABASE_URL=url,
        COURTYARD_SECRET_KEY=SECRET,
        COURTYARD_SECRET_KEY_FILE=str(tmp / "key"),
        COURTYARD_SPOOL_DIR=str(tmp / "spool"),
        COURTYARD_FACE_DEEPFACE_HOME=str(tmp / "faces"),
        COURTYARD_LOG_LEVEL="WARNING",
        COURTYARD_LOG_FORMAT="text",
    )
    env.update(extra)
    return env


def courtyard(*args: str) -> list[str]:
    script = shutil.which("courtyard", path=str(Path(sys.executable).parent))
    return [script, *args] if script else [sys.executable, "-m", "bot", *args]


class Chat:
    """The chat process: runs the mix at a rate when told (stdin), answers JSON."""

    def __init__(self, url: str, tmp: Path, redis_url: str | None = None) -> None:
        redis = ["--redis-url", redis_url] if redis_url else []
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--url", url, "--tmp", str(tmp), *redis],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        if self._line() != {"ready": True}:
            raise RuntimeError("the chat process did not start")

    def _line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the chat process ended")
        return dict(json.loads(line))

    def start(self, rate: float, seconds: float) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{rate} {seconds}\n".encode())
        self.proc.stdin.flush()

    def result(self) -> dict[str, Any]:
        return self._line()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(30)


async def mix(
    dp: Any,
    bot: Any,
    users: list[list[dict[str, Any]]],
    cursors: list[int],
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """The mix at ``rate`` updates/s for ``seconds`` (open loop, as bench/updates.py)."""
    from aiogram.types import Update

    latencies: list[float] = []
    errors = 0

    async def one(raw: dict[str, Any], due: float) -> None:
        nonlocal errors
        try:
            await dp.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))
        except Exception:
            errors += 1
            return
        latencies.append((time.perf_counter() - due) * 1000)

    tasks = []
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        u = i % len(users)
        tasks.append(asyncio.create_task(one(users[u][cursors[u] % len(users[u])], due)))
        cursors[u] += 1
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=GRACE_S)
        for task in pending:
            task.cancel()
    return {"sent": total, "latencies": latencies, "errors": errors}


async def chat_role(url: str, tmp: Path, redis_url: str | None) -> None:
    """The chat child: the real dispatcher on the shared database (conversations in
    Redis under this run's prefix when ``redis_url`` is given), fed on command."""
    from bench.updates import application, conversation, drive
    from core.heap import freeze_startup_heap

    if redis_url:
        os.environ["COURTYARD_REDIS_URL"] = redis_url
    kind = "redis" if redis_url else "database"
    (dp, bot, i18n, engine, storage), _ = await application(url, tmp, kind, REDIS_PREFIX)
    users = [conversation(4_000_000 + k) for k in range(100)]
    cursors = list(range(len(users)))
    loop = asyncio.get_running_loop()
    with i18n.context():
        await drive(dp, bot, users)  # these people have talked to the bot before
        freeze_startup_heap()
        print(json.dumps({"ready": True}), flush=True)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            rate, seconds = (float(x) for x in line.split())
            out = await mix(dp, bot, users, cursors, rate, seconds)
            print(json.dumps(out), flush=True)
    await storage.close()
    await engine.dispose()
    if redis_url:  # this run's keys only (the turns keep none of their own TTL)
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        async for key in client.scan_iter(match=f"{REDIS_PREFIX}*"):
            await client.delete(key)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--tmp", required=True)
    parser.add_argument("--redis-url")
    args = parser.parse_args()
    asyncio.run(chat_role(args.url, Path(args.tmp), args.redis_url))
