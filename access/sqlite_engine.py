"""The gate module's SQLite connections (see :mod:`access.runner` for how they are
used): WAL, driver-level autocommit with our own ``BEGIN IMMEDIATE`` (``BEGIN`` for
reads), checkpoints in a background thread, and how a busy database is recognised."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import DBAPIError, OperationalError

from core.db import _json_dumps
from core.sqlite_inline import checkpointer_acquire, checkpointer_release, no_autocheckpoint


def sync_sqlite_url(database_url: str) -> str:
    path = database_url.split(":///", 1)[-1]
    if not path or path == ":memory:":
        raise ValueError("the gate access module needs a SQLite file, not :memory:")
    return f"sqlite:///{path}"


def create_sqlite_engine(database_url: str, busy_ms: int, connections: int = 1) -> Engine:
    _detached: dict[int, str] = {}
    engine = create_sync_engine(
        sync_sqlite_url(database_url),
        json_serializer=_json_dumps,
        connect_args={"timeout": busy_ms / 1000, "check_same_thread": False},
        pool_size=connections,
        max_overflow=0,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, record: Any) -> None:
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
        record.info["checkpointer"] = checkpointer_acquire(
            sync_sqlite_url(database_url).split(":///", 1)[1]
        )

    @event.listens_for(engine, "close")
    def _closed(_dbapi_conn: Any, record: Any) -> None:
        # Just before the connection closes: the last one out stops the checkpoint thread.
        key = record.info.pop("checkpointer", None)
        if key is not None:
            checkpointer_release(key)

    @event.listens_for(engine, "close_detached")
    def _closed_detached(dbapi_conn: Any) -> None:
        key = _detached.pop(id(dbapi_conn), None)
        if key is not None:
            checkpointer_release(key)

    @event.listens_for(engine, "detach")
    def _detached_conn(dbapi_conn: Any, record: Any) -> None:
        key = record.info.pop("checkpointer", None)
        if key is not None:
            _detached[id(dbapi_conn)] = key

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Reads need no write lock; everything else takes it before its first read.
        readonly = conn.get_execution_options().get("access_readonly", False)
        # Straight to the driver: this runs on every decision.
        driver: Any = conn.connection.driver_connection
        statement = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        try:
            driver.execute(statement)
        except sqlite3.Error as exc:
            # SQLAlchemy does not wrap what a listener raises: wrap it here, so every
            # database failure reaches callers (the gate API's 503) as the same kind.
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc

    return engine


# The "begin" hook above wraps its driver errors; a raw one is still taken as the same.
OPERATIONAL_ERRORS = (OperationalError, sqlite3.OperationalError)


def is_busy(exc: OperationalError | sqlite3.OperationalError) -> bool:
    text = str(exc.orig if isinstance(exc, OperationalError) else exc).lower()
    return "locked" in text or "busy" in text
