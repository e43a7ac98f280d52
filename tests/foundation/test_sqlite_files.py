"""The SQLite file is left whole when the application closes: no log outlives it.

SQLite removes the write-ahead log when the last connection to the database closes.
If anything of ours kept a connection open after the application closed (the
background checkpoint thread did), the log and its index stayed on disk, and a
database deleted and created anew at the same path read the old log's pages as its
own: "database disk image is malformed" (seen in CI on the sandbox's restart test).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Connection, text

from access.runner import TxRunner
from core import sqlite_inline
from core.db import create_engine


def _insert(conn: Connection, label: str) -> None:
    conn.execute(text("INSERT INTO probe (label) VALUES (:l)"), {"l": label})


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _key(path: Path) -> str:
    return os.path.realpath(path)


async def _use_the_file(path: Path, label: str) -> None:
    """What the application does: the inline engine and the gate runner, both writing."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    runner = TxRunner(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS probe (label TEXT)"))
            # Enough pages that a checkpoint has something to copy.
            for i in range(200):
                await conn.execute(text("INSERT INTO probe VALUES (:l)"), {"l": f"{label}{i}"})
        await runner.run(_insert, label)
        assert await runner.run(lambda c: c.execute(text("SELECT count(*) FROM probe")).scalar())
        # Let the checkpoint thread run a round or two: it opens its own connection.
        await asyncio.sleep(sqlite_inline.CHECKPOINT_EVERY_S * 2.5)
    finally:
        await runner.close()
        await engine.dispose()


async def test_closing_leaves_no_log_and_a_new_file_starts_clean(tmp_path: Path):
    path = tmp_path / "courtyard.db"
    for round_ in range(3):
        await _use_the_file(path, f"r{round_}-")
        # Everything closed: no log, no index, no checkpoint thread holding the file.
        assert _files(tmp_path) == ["courtyard.db"]
        assert _key(path) not in sqlite_inline._checkpointers
        # An operator starting over deletes the database file only.
        path.unlink()

    await _use_the_file(path, "last-")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        labels = [row[0] for row in conn.execute("SELECT label FROM probe")]
    conn.close()
    assert len(labels) == 201 and all(label.startswith("last-") for label in labels)


async def test_the_checkpoint_thread_lives_while_a_connection_is_open(tmp_path: Path):
    path = tmp_path / "busy.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE probe (label TEXT)"))
        key = _key(path)
        checkpointer = sqlite_inline._checkpointers[key]
        assert checkpointer.thread.is_alive() and checkpointer.users >= 1
    finally:
        await engine.dispose()
    assert key not in sqlite_inline._checkpointers
    checkpointer.thread.join(timeout=5)
    assert not checkpointer.thread.is_alive()


def _write_steadily(path: Path, seconds: float) -> int:
    """A commit every half millisecond or so, as a busy gate makes: returns the
    largest size the log reached."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=5, check_same_thread=False)
    conn.execute("PRAGMA synchronous=NORMAL")  # as the application's connections
    sqlite_inline.no_autocheckpoint(conn)
    largest = 0
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO probe VALUES (?)", [("x" * 400,)] * 8)
            conn.execute("COMMIT")
            largest = max(largest, os.path.getsize(f"{path}-wal"))
            time.sleep(0.001)
    finally:
        conn.close()
    return largest


def test_the_log_stays_bounded_under_a_steady_stream_of_writes(tmp_path: Path, monkeypatch):
    """Passive checkpoints alone never catch up with a writer that never pauses, and
    the log grew without end (300 MB in ten seconds of bench/gate.py)."""
    path = tmp_path / "steady.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE probe (label TEXT)")
    setup.close()
    page = 4096
    monkeypatch.setattr(sqlite_inline, "WAL_RESTART_FRAMES", 256)  # 1 MiB of log
    monkeypatch.setattr(sqlite_inline, "WAL_SIZE_LIMIT_BYTES", 256 * page)
    key = sqlite_inline.checkpointer_acquire(str(path))
    try:
        largest = _write_steadily(path, seconds=4)
    finally:
        sqlite_inline.checkpointer_release(key)
    # Without the restart the log passes 40 MB here; with it (it never waits, so a
    # round may miss) a few rounds' worth.
    assert largest < 16 * 1024 * 1024, largest
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
