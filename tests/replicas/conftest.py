"""Several processes on one PostgreSQL database and one Redis: helpers.

PostgreSQL tests (marked ``postgres``) that need a database of their own (empty, or
one only their processes use) get it next to COURTYARD_TEST_DATABASE_URL's and
dropped afterwards. Redis tests use database 7 (REPLICAS_TEST_REDIS_URL) and only
keys under a prefix of their own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import create_engine
from tests.conftest import PG_URL, TEST_TOKEN

REDIS_URL = os.environ.get("REPLICAS_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def courtyard() -> list[str]:
    script = shutil.which("courtyard", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    env.update(
        COURTYARD_BOT_TOKEN=TEST_TOKEN,
        COURTYARD_SECRET_KEY="replicas-test-secret-key",
        COURTYARD_SECRET_KEY_FILE=str(tmp_path / "key"),
        COURTYARD_SPOOL_DIR=str(tmp_path / "spool"),
        COURTYARD_GATE_API_PORT=str(free_port()),
        COURTYARD_LOG_FORMAT="text",
    )
    env.update(settings)
    return env


def stop(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise AssertionError("the process did not stop on SIGTERM") from None


@pytest.fixture
def scratch_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own, on the test server."""
    if not PG_URL:
        pytest.skip("needs COURTYARD_TEST_DATABASE_URL (PostgreSQL)")
    url = make_url(PG_URL)
    name = f"{url.database}_scratch_{uuid.uuid4().hex[:8]}"
    admin = url.set(database="postgres").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        engine = create_engine(admin, pool=False)
        try:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the tests' Redis database, cleaned up after."""
    from redis.asyncio import Redis

    prefix = f"courtyard-test:{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception:
        await client.aclose()
        pytest.skip(f"needs Redis at {REDIS_URL}")
    try:
        yield prefix
    finally:
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
        await client.aclose()
