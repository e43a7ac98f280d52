"""A SQLite connection for the async engine that runs statements in the event loop.

SQLAlchemy's ``aiosqlite`` adapter sends every driver call (cursor, execute, fetch,
close) to the connection's own thread and waits for the answer: four thread hops
per statement, about 0.7 ms on two cores, while the statement itself — an indexed
look-up in a local file — takes tens of microseconds. On a chat bot doing a few
statements per update the hops were most of the time spent per update.

:class:`InlineConnection` has the small part of ``aiosqlite.Connection``'s interface
the adapter uses, but its coroutines call :mod:`sqlite3` directly and return
without suspending. Nothing ever *waits* in the event loop:

- the connection's busy timeout is zero, so a statement that finds the database
  locked by another connection fails at once (``SQLITE_BUSY``) instead of sleeping;
- that statement is then retried in a worker thread with a real busy timeout, and
  the coroutine awaits the thread — the loop keeps serving other updates.

Within one process writers never meet at SQLite's lock: :mod:`core.db` queues them
on an asyncio lock, and a statement runs to completion before the loop switches
task. The thread path is for other processes (a separate ``courtyard gate-api``,
the command line) and for the gate module's own connection (:mod:`access.runner`).

The price is that a long statement (a report over a year of bills, a bulk import)
holds the loop while it runs; on the embedded single-process deployment that is
milliseconds, and PostgreSQL (asyncpg) is the choice for large deployments.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How long a statement retried in a thread waits for another process's lock.
BUSY_WAIT_MS = 30_000


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


class InlineCursor:
    """The cursor surface SQLAlchemy's aiosqlite adapter uses."""

    __slots__ = ("_cursor", "_owner")

    def __init__(self, owner: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._owner._call(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        # A generator cannot be replayed if the first attempt finds the database busy.
        params = parameters if isinstance(parameters, Sequence) else list(parameters)
        await self._owner._call(self._cursor.executemany, sql, params)
        return self

    async def fetchall(self) -> list[Any]:
        return await self._owner._call(self._cursor.fetchall)

    async def fetchone(self) -> Any:
        return await self._owner._call(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = self._cursor.arraysize if size is None else size
        return await self._owner._call(self._cursor.fetchmany, n)

    async def close(self) -> None:
        self._cursor.close()


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue (used to set ``isolation_level``)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting adapter
            future.set_exception(exc)


class InlineConnection:
    """A :mod:`sqlite3` connection behind aiosqlite's coroutine interface."""

    def __init__(self, path: str, *, busy_wait_ms: int = BUSY_WAIT_MS) -> None:
        self._conn = sqlite3.connect(path, timeout=0, check_same_thread=False)
        self._busy_wait_ms = busy_wait_ms
        self._tx = _ImmediateQueue()
        self._conn.execute("PRAGMA busy_timeout=0")
        no_autocheckpoint(self._conn)
        self._checkpointer: str | None = checkpointer_acquire(path)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        return await asyncio.to_thread(self._call_waiting, fn, args)

    def _call_waiting(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        self._conn.execute(f"PRAGMA busy_timeout={int(self._busy_wait_ms)}")
        try:
            return fn(*args)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    # -- the aiosqlite.Connection surface ------------------------------------------
    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self._call(self._conn.commit)

    async def rollback(self) -> None:
        await self._call(self._conn.rollback)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._conn.close()
        if self._checkpointer is not None:
            key, self._checkpointer = self._checkpointer, None
            checkpointer_release(key)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def inline_creator(path: str) -> Callable[[], Any]:
    """An ``async_creator`` for :func:`sqlalchemy.ext.asyncio.create_async_engine`."""

    async def connect() -> InlineConnection:
        return InlineConnection(path)

    return connect


# --- WAL checkpoints off the request path ----------------------------------------------
#
# In WAL mode SQLite copies the log back into the database file ("checkpoint") when
# a commit finds the log longer than 1,000 pages, in that commit, with an fsync. On
# a connection that runs in the event loop that is a pause of several milliseconds
# for everything the process is doing, every few hundred writes: the slowest one
# percent of gate decisions and chat answers. Our connections switch the automatic
# checkpoint off and one thread per database file and process checkpoints instead
# (PASSIVE: it never blocks readers or writers), at most every CHECKPOINT_EVERY_S.
#
# Often, in small pieces: a checkpoint still writes the copied pages and fsyncs the
# database file, and while it does the event loop's own WAL writes wait on the disk.
# At 1,000 gate decisions/s (~7,500 WAL pages a second) a checkpoint each second
# took 20–32 ms and stalled the loop 10–20 ms each time (the gate's p99); every
# 0.2 s they take 5–9 ms and the stalls are gone from the p99 (measured, session 3).
# With nothing new in the log a checkpoint does nothing.

CHECKPOINT_EVERY_S = 0.2
#
# A PASSIVE checkpoint copies what it can without waiting, and a writer starts the log
# from its beginning again only when a checkpoint has copied *all* of it. Under a
# steady stream of writes with no pause (bench/gate.py: a commit every millisecond or
# so for a minute) each checkpoint finishes a few frames behind the newest, the log is
# never reset, and it grew by ~30 MB a second. Real traffic pauses and the log resets;
# as a safety valve for disk space, a passive round that leaves the log longer than
# WAL_RESTART_FRAMES (~1 GiB) is followed by a RESTART checkpoint that does not wait
# (this thread's connection has no busy timeout: anyone in the way, and it is next round),
# and ``journal_size_limit`` cuts the file back once the log restarts. Not lower:
# a RESTART holds writers back while it finishes, and done every second or so at the
# bench's rate (8,192 frames, tried first) it turned the gate's p99 from 5–16 ms into
# 230–330 ms in two runs of three (A/B, session 4): writers that find the lock taken
# wait in their thread, in SQLite's busy-handler steps, and the queue behind them grows.
WAL_RESTART_FRAMES = 262_144
WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024
#
# The thread lives exactly as long as this process has a connection open to the file:
# each connection takes a reference (:func:`checkpointer_acquire`) and gives it back
# when it closes (:func:`checkpointer_release`); the last one closes the thread's own
# connection before returning. That matters. SQLite deletes the WAL when the *last*
# connection to a database closes; a checkpoint connection left open after the
# application closed its own kept the WAL and its index alive, so a database file
# deleted and created anew (``sandbox --reset``, an operator starting over) met the
# old log's frames and read them as its own: "database disk image is malformed".


class _Checkpointer:
    """The checkpoint thread of one database file, and how many connections use it."""

    def __init__(self, path: str, every_s: float) -> None:
        self.path = path
        self.every_s = every_s
        self.users = 0
        self.stopped = False
        self.wake = threading.Event()
        # Held while checkpointing and while closing: the last release waits for a
        # checkpoint in progress, then closes the connection before it returns.
        self.lock = threading.Lock()
        self.connection: sqlite3.Connection | None = None
        self.thread = threading.Thread(target=self._loop, name="sqlite-checkpoint", daemon=True)

    def _loop(self) -> None:
        while not self.wake.wait(self.every_s):
            with self.lock:
                if self.stopped:
                    return
                try:
                    self._checkpoint()
                except sqlite3.OperationalError:  # busy or locked right now: next round
                    continue
                except Exception:  # the file went away, or the process is ending
                    log.debug("checkpoint of %s failed", self.path, exc_info=True)
                    self._close()

    def _checkpoint(self) -> None:
        if not os.path.exists(self.path + "-wal"):
            return  # nothing written since the log was last removed
        if self.connection is None:
            self.connection = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
            no_autocheckpoint(self.connection)
        connection = self.connection
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if row is None or row[1] <= WAL_RESTART_FRAMES:
            return
        # Starved (see above): the next writer starts the log from its beginning. This
        # connection never waits (timeout 0): anyone in the way, and it is next round.
        connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()

    def _close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            connection.close()

    def stop(self) -> None:
        self.wake.set()
        with self.lock:
            self.stopped = True
            self._close()


_checkpointers: dict[str, _Checkpointer] = {}
_checkpointers_lock = threading.Lock()


def no_autocheckpoint(connection: sqlite3.Connection) -> None:
    """Leave checkpoints to the background thread, and keep the log file bounded
    (see above)."""
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")


def checkpointer_acquire(path: str, every_s: float = CHECKPOINT_EVERY_S) -> str:
    """Count one more connection to ``path``; start its checkpoint thread if needed.

    Returns the key to give back to :func:`checkpointer_release` when that
    connection closes.
    """
    key = os.path.realpath(path)
    with _checkpointers_lock:
        checkpointer = _checkpointers.get(key)
        if checkpointer is None:
            checkpointer = _checkpointers[key] = _Checkpointer(key, every_s)
            checkpointer.thread.start()
        checkpointer.users += 1
    return key


def checkpointer_release(key: str) -> None:
    """One connection to the file closed; the last one stops the checkpoint thread.

    The thread's connection is closed before this returns, so when the caller's
    own connection was the last, nothing of this process keeps the WAL open.
    """
    with _checkpointers_lock:
        checkpointer = _checkpointers.get(key)
        if checkpointer is None:
            return
        checkpointer.users -= 1
        if checkpointer.users > 0:
            return
        del _checkpointers[key]
    checkpointer.stop()
