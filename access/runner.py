"""Runs one decision transaction on the database, as fast as the backend allows.

A decision is a handful of small statements that must commit together. The code
is written once, as a synchronous function of a SQLAlchemy ``Connection``, and
run:

- on **SQLite** in one dedicated thread on a plain ``sqlite3`` connection, so the
  whole transaction is a single hop from the event loop instead of one per
  statement. Transactions start with ``BEGIN IMMEDIATE``: the write lock is taken
  up front, so another process (the bot, a second gate API) makes us *wait*
  (busy timeout) instead of failing on a stale read snapshot;
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.db import _json_dumps

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


def _create_sqlite_engine(database_url: str) -> Engine:
    engine = create_sync_engine(
        sync_sqlite_url(database_url),
        json_serializer=_json_dumps,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level; we issue BEGIN IMMEDIATE ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Reads need no write lock; everything else takes it before its first read.
        readonly = conn.get_execution_options().get("access_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


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
        self._thread: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        if self.is_sqlite:
            self._sync = _create_sqlite_engine(database_url)
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
        if self._thread is not None:
            engine = self._sync
            thread = self._thread
            self._thread = None
            if engine is not None:
                await asyncio.get_running_loop().run_in_executor(thread, engine.dispose)
            thread.shutdown(wait=True)
        if self._async is not None:
            await self._async.dispose()
