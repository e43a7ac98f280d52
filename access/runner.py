"""Runs one decision transaction on the database, as fast as the backend allows.

A decision is a handful of small statements that must commit together. The code
is written once, as a synchronous function of a SQLAlchemy ``Connection``, and
run:

- on **SQLite** on plain ``sqlite3`` connections, the whole transaction in one go.
  It runs right in the event loop (a few hundred microseconds) on a connection that
  never waits; if another connection holds the write lock, its ``BEGIN IMMEDIATE``
  fails at once and the transaction is queued in a dedicated thread whose connection
  waits (busy timeout). Taking the write lock up front means another process (the
  bot, a second gate API) makes us *wait* instead of failing on a stale snapshot;
- on **PostgreSQL** through the async engine (``run_sync``), with a retry when
  the database reports a deadlock or serialization failure.

Either way the correctness of a redemption rests on the conditional UPDATE in
:mod:`access.verification`, not on this runner's serialisation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.db import _json_dumps
from core.sqlite_inline import ensure_checkpointer, no_autocheckpoint

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRY_SQLSTATES = {"40001", "40P01"}
PG_POOL_SIZE = 8
PG_MAX_OVERFLOW = 4


def sync_sqlite_url(database_url: str) -> str:
    path = database_url.split(":///", 1)[-1]
    if not path or path == ":memory:":
        raise ValueError("the gate access module needs a SQLite file, not :memory:")
    return f"sqlite:///{path}"


def _create_sqlite_engine(database_url: str, busy_ms: int, connections: int = 1) -> Engine:
    engine = create_sync_engine(
        sync_sqlite_url(database_url),
        json_serializer=_json_dumps,
        connect_args={"timeout": busy_ms / 1000, "check_same_thread": False},
        pool_size=connections,
        max_overflow=0,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level; we issue BEGIN IMMEDIATE ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.close()
        # Checkpoints run in a background thread, not in a decision's commit.
        no_autocheckpoint(dbapi_conn)
        ensure_checkpointer(sync_sqlite_url(database_url).split(":///", 1)[1])

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Reads need no write lock; everything else takes it before its first read.
        readonly = conn.get_execution_options().get("access_readonly", False)
        # Straight to the driver: this runs on every decision.
        driver: Any = conn.connection.driver_connection
        driver.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    for attr in ("sqlstate", "pgcode"):
        value = getattr(orig, attr, None)
        if isinstance(value, str):
            return value
    cause = getattr(orig, "__cause__", None)
    value = getattr(cause, "sqlstate", None)
    return value if isinstance(value, str) else None


class TxRunner:
    """``await runner.run(fn, *args)`` runs ``fn(conn, *args)`` in one transaction."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.is_sqlite = database_url.startswith("sqlite")
        self._sync: Engine | None = None
        self._async: AsyncEngine | None = None
        self._inline: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        if self.is_sqlite:
            # Two connections: one used right in the event loop that never waits
            # for a lock, and one in a thread that waits (busy timeout) when another
            # process holds the write lock.
            self._inline = _create_sqlite_engine(database_url, busy_ms=0, connections=2)
            # Kept open (one read-write, one read-only): a decision should not pay
            # for a pool check-out and check-in.
            self._held: dict[bool, Connection] = {}
            self._sync = _create_sqlite_engine(database_url, busy_ms=30_000)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="access-db")
        else:
            # No pre-ping (one round trip per decision saved): a dropped connection
            # is retried below instead. A small pool: PostgreSQL connections are
            # shared with the bot and other processes.
            self._async = create_async_engine(
                database_url,
                json_serializer=_json_dumps,
                pool_size=PG_POOL_SIZE,
                max_overflow=PG_MAX_OVERFLOW,
                pool_recycle=900,
            )
            self._slots = asyncio.Semaphore(PG_POOL_SIZE + PG_MAX_OVERFLOW)

    async def run(self, fn: Callable[..., T], *args: Any, readonly: bool = False) -> T:
        if self._sync is not None and self._thread is not None:
            done, result = self._try_inline(fn, args, readonly)
            if done:
                return result  # type: ignore[return-value]
            engine = self._sync

            def work() -> T:
                with engine.connect() as conn:
                    if readonly:
                        conn = conn.execution_options(access_readonly=True)
                    with conn.begin():
                        return fn(conn, *args)

            return await asyncio.get_running_loop().run_in_executor(self._thread, work)
        assert self._async is not None and self._slots is not None
        # Wait for a connection here rather than time out in the pool: a burst of
        # terminals queues instead of failing.
        async with self._slots:
            return await self._run_pg(fn, *args)

    def _try_inline(
        self, fn: Callable[..., T], args: tuple[Any, ...], readonly: bool
    ) -> tuple[bool, T | None]:
        """Run the transaction here, in the event loop, unless the write lock is taken.

        A decision is a few hundred microseconds of SQLite work; handing it to a
        thread costs about as much again and, under CPU contention, a wait for the
        GIL. When another connection (the thread below, another process) holds the
        write lock, ``BEGIN IMMEDIATE`` fails at once here — nothing has been done
        yet — and the caller queues the transaction in the waiting thread instead.
        """
        conn = self._held_connection(readonly)
        try:
            transaction = conn.begin()
        except OperationalError as exc:
            if _is_busy(exc):
                return False, None
            raise
        with transaction:
            try:
                return True, fn(conn, *args)
            except OperationalError as exc:
                # A read-only look-up may meet a busy WAL index; nothing was written.
                if readonly and _is_busy(exc):
                    transaction.rollback()
                    return False, None
                raise

    def _held_connection(self, readonly: bool) -> Connection:
        assert self._inline is not None
        conn = self._held.get(readonly)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._inline.connect()
            if readonly:
                conn = conn.execution_options(access_readonly=True)
            self._held[readonly] = conn
        return conn

    async def _run_pg(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._async is not None
        for attempt in range(1, 4):
            try:
                async with self._async.begin() as conn:
                    return await conn.run_sync(fn, *args)
            except DBAPIError as exc:
                retry = exc.connection_invalidated or _sqlstate(exc) in _RETRY_SQLSTATES
                if attempt == 3 or not retry:
                    raise
                log.warning("access transaction retried", extra={"fields": {"try": attempt}})
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._inline is not None:
            for conn in self._held.values():
                conn.close()
            self._held.clear()
            self._inline.dispose()
        if self._thread is not None:
            engine = self._sync
            thread = self._thread
            self._thread = None
            if engine is not None:
                await asyncio.get_running_loop().run_in_executor(thread, engine.dispose)
            thread.shutdown(wait=True)
        if self._async is not None:
            await self._async.dispose()
