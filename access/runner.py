"""Runs one decision transaction on the database, as fast as the backend allows.

A decision is a handful of small statements that must commit together. The code
is written once, as a synchronous function of a SQLAlchemy ``Connection``, and
run:

- on **SQLite** on plain ``sqlite3`` connections, the whole transaction in one go.
  It runs right in the event loop (a few hundred microseconds) on a connection that
  never waits; if another connection holds the write lock, its ``BEGIN IMMEDIATE``
  fails at once and the transaction is queued in a dedicated thread whose connection
  waits (busy timeout). Taking the write lock up front means another process (the
  bot, a second gate API) makes us *wait* instead of failing on a stale snapshot.
  Writes that arrive in the same turn of the event loop share one ``BEGIN IMMEDIATE
  … COMMIT`` (*group commit*): each runs inside its own ``SAVEPOINT``, so one that
  fails is rolled back alone and reported to its caller alone; nobody is answered
  before the shared commit. If the commit itself fails, nothing was written and
  each transaction is run again on its own. The commit (its WAL write) was the
  largest single cost of a decision; under load it is now paid once per group;
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
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from access.sqlite_engine import (
    OPERATIONAL_ERRORS,
    create_sqlite_engine,
    is_busy,
)
from core.db import _json_dumps

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRY_SQLSTATES = {"40001", "40P01"}
PG_POOL_SIZE = 8
PG_MAX_OVERFLOW = 4


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    for attr in ("sqlstate", "pgcode"):
        value = getattr(orig, attr, None)
        if isinstance(value, str):
            return value
    cause = getattr(orig, "__cause__", None)
    value = getattr(cause, "sqlstate", None)
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class _Queued:
    """A write transaction waiting for the next group commit."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


def _run_group(conn: Connection, batch: list[_Queued]) -> list[tuple[bool, Any]]:
    """Run each transaction of ``batch`` in its own savepoint of ``conn``'s transaction.

    Returns, per transaction, ``(True, result)`` or ``(False, exception)``; a failed
    one is rolled back to its savepoint and leaves the others' work in place. The
    caller commits (or, if that fails, rolls everything back).
    """
    raw: Any = conn.connection.driver_connection
    outcomes: list[tuple[bool, Any]] = []
    for item in batch:
        raw.execute("SAVEPOINT access_tx")
        try:
            result = item.fn(conn, *item.args)
        except Exception as exc:
            raw.execute("ROLLBACK TO access_tx")
            raw.execute("RELEASE access_tx")
            outcomes.append((False, exc))
        else:
            raw.execute("RELEASE access_tx")
            outcomes.append((True, result))
    return outcomes


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller went away (cancelled); the work is done anyway
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


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
            self._inline = create_sqlite_engine(database_url, busy_ms=0, connections=2)
            # Kept open (one read-write, one read-only): a decision should not pay
            # for a pool check-out and check-in.
            self._held: dict[bool, Connection] = {}
            self._sync = create_sqlite_engine(database_url, busy_ms=30_000)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="access-db")
            # Write transactions waiting for the group commit at the end of this turn,
            # and groups waiting in the thread for another process's write lock.
            self._queued: list[_Queued] = []
            self._waiting: set[asyncio.Task[None]] = set()
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
            if not readonly:
                return await self._enqueue(fn, args)
            done, result = self._try_inline(fn, args, readonly)
            if done:
                return result  # type: ignore[return-value]
            return await self._in_thread(fn, args, readonly)
        assert self._async is not None and self._slots is not None
        # Wait for a connection here rather than time out in the pool: a burst of
        # terminals queues instead of failing.
        async with self._slots:
            return await self._run_pg(fn, *args)

    async def _in_thread(self, fn: Callable[..., T], args: tuple[Any, ...], readonly: bool) -> T:
        """The transaction on the waiting connection, in the dedicated thread."""
        assert self._sync is not None and self._thread is not None
        engine = self._sync

        def work() -> T:
            with engine.connect() as conn:
                if readonly:
                    conn = conn.execution_options(access_readonly=True)
                with conn.begin():
                    return fn(conn, *args)

        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    # --- SQLite group commit -----------------------------------------------------------

    def _enqueue(self, fn: Callable[..., T], args: tuple[Any, ...]) -> asyncio.Future[T]:
        """Queue a write for the group commit that ends this turn of the event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._queued:
            # Runs after the callbacks already due this turn: the other requests that
            # arrived together queue their decisions first.
            loop.call_soon(self._flush)
        self._queued.append(_Queued(fn, args, future))
        return future

    def _flush(self) -> None:
        batch = [item for item in self._queued if not item.future.cancelled()]
        self._queued = []
        if len(batch) == 1:
            self._run_alone(batch[0])
            return
        if not batch:
            return
        conn = self._held_connection(False)
        try:
            transaction = conn.begin()
        except OPERATIONAL_ERRORS as exc:
            if not is_busy(exc):
                for item in batch:
                    _settle(item.future, False, exc)
                return
            # Another process holds the write lock: wait for it in the thread, together.
            self._spawn_thread_group(batch)
            return
        try:
            with transaction:
                outcomes = _run_group(conn, batch)
        except Exception:
            # Nothing of the group was committed: each runs again on its own.
            log.warning("access group commit failed; running its transactions singly")
            for item in batch:
                self._run_alone(item)
            return
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            _settle(item.future, ok, value)

    def _run_alone(self, item: _Queued) -> None:
        """One queued write in its own transaction (inline, else in the thread)."""
        try:
            done, result = self._try_inline(item.fn, item.args, False)
        except Exception as exc:
            _settle(item.future, False, exc)
            return
        if done:
            _settle(item.future, True, result)
        else:
            self._spawn_thread_group([item])

    def _spawn_thread_group(self, batch: list[_Queued]) -> None:
        """Run ``batch`` as one group in the waiting thread (another process has the lock)."""
        assert self._sync is not None and self._thread is not None
        engine = self._sync

        def work() -> list[tuple[bool, Any]]:
            with engine.connect() as conn, conn.begin():
                if len(batch) == 1:
                    item = batch[0]
                    return [(True, item.fn(conn, *item.args))]
                return _run_group(conn, batch)

        async def wait() -> None:
            loop = asyncio.get_running_loop()
            try:
                outcomes = await loop.run_in_executor(self._thread, work)
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0].future, False, exc)
                    return
                # The group's commit failed: nothing was written; each on its own.
                for item in batch:
                    try:
                        value = await self._in_thread(item.fn, item.args, False)
                    except Exception as single:
                        _settle(item.future, False, single)
                    else:
                        _settle(item.future, True, value)
                return
            for item, (ok, value) in zip(batch, outcomes, strict=True):
                _settle(item.future, ok, value)

        task = asyncio.get_running_loop().create_task(wait())
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

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
        except OPERATIONAL_ERRORS as exc:
            if is_busy(exc):
                return False, None
            raise
        with transaction:
            try:
                return True, fn(conn, *args)
            except OPERATIONAL_ERRORS as exc:
                # A read-only look-up may meet a busy WAL index; nothing was written.
                if readonly and is_busy(exc):
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
        if self._sync is not None:
            if self._queued:
                self._flush()
            if self._waiting:
                await asyncio.gather(*self._waiting, return_exceptions=True)
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
