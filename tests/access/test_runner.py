"""The SQLite runner's group commit: writes arriving together share one commit, and
one that fails is rolled back alone (its savepoint) without losing the others."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection, event, text

from access.runner import TxRunner


def _write(conn: Connection, label: str, fail: bool = False) -> str:
    conn.execute(text("INSERT INTO runner_probe (label) VALUES (:l)"), {"l": label})
    if fail:
        raise ValueError(f"failed after writing {label}")
    return label


def _labels(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT label FROM runner_probe ORDER BY id")).scalars())


@pytest.fixture
async def runner(database_url, engine) -> AsyncIterator[TxRunner]:
    """A SQLite runner over a probe table (group commit is the SQLite runner's)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("group commit is the SQLite runner's")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE runner_probe (id INTEGER PRIMARY KEY, label TEXT)"))
    runner = TxRunner(database_url)
    try:
        yield runner
    finally:
        await runner.close()


async def test_group_commit_isolates_a_failing_transaction(runner: TxRunner):
    commits = 0

    def count(*_args: object) -> None:
        nonlocal commits
        commits += 1

    assert runner._inline is not None
    event.listen(runner._inline, "commit", count)
    results = await asyncio.gather(
        runner.run(_write, "a"),
        runner.run(_write, "b", True),
        runner.run(_write, "c"),
        runner.run(_write, "d", True),
        runner.run(_write, "e"),
        return_exceptions=True,
    )
    assert results[0] == "a" and results[2] == "c" and results[4] == "e"
    assert isinstance(results[1], ValueError) and isinstance(results[3], ValueError)
    assert commits == 1  # one BEGIN IMMEDIATE … COMMIT for the five
    assert await runner.run(_labels, readonly=True) == ["a", "c", "e"]

    # Alone, a failure rolls its whole transaction back, as before.
    with pytest.raises(ValueError):
        await runner.run(_write, "f", True)
    assert await runner.run(_write, "g") == "g"
    assert await runner.run(_labels, readonly=True) == ["a", "c", "e", "g"]


async def test_group_waits_for_another_connections_write_lock(database_url, runner: TxRunner):
    """Another process holding the write lock: the group waits for it, then commits."""
    path = database_url.split(":///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        pending = asyncio.gather(
            runner.run(_write, "x"), runner.run(_write, "y", True), return_exceptions=True
        )
        await asyncio.sleep(0.2)
        assert not pending.done()
        other.execute("COMMIT")
        results = await asyncio.wait_for(pending, 10)
        assert results[0] == "x" and isinstance(results[1], ValueError)
        assert await runner.run(_labels, readonly=True) == ["x"]
    finally:
        other.close()
