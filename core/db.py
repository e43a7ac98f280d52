"""Database plumbing: the declarative base, portable column types, engines and sessions.

The same models run on SQLite (the embedded default) and PostgreSQL. Datetimes are
stored in UTC and always come back time zone-aware, whatever the backend.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Executable,
    Integer,
    MetaData,
    Table,
    bindparam,
    event,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from core.sqlite_inline import inline_creator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored in UTC; naive values are refused, reads are always aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type[enum.Enum], length: int = 24) -> SAEnum:
    """A portable enum column storing the member *values* as short strings."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda cls: [m.value for m in cls],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def _json_dumps(value: Any) -> str:
    # Keep Chinese readable in the database and stable for comparisons.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def create_engine(url: str, *, echo: bool = False, pool: bool = True) -> AsyncEngine:
    """Create an async engine tuned for the backend.

    SQLite gets WAL so the bot, the gate API and the scheduler can share one file,
    and a connection that runs statements in the event loop (no thread hop per
    statement; a statement finding another process's lock waits in a thread);
    foreign keys are switched on.
    """
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _json_dumps}
    inline = False
    if url.startswith("sqlite"):
        path = make_url(url).database
        inline = bool(path) and path != ":memory:" and "?" not in url
        if inline:
            # Statements run in the event loop; see core/sqlite_inline.py.
            kwargs["async_creator"] = inline_creator(str(path))
        else:
            kwargs["connect_args"] = {"timeout": 30}
        if not pool:
            kwargs["poolclass"] = NullPool
        elif inline:  # connections are cheap; one per update in flight (and spares)
            kwargs["pool_size"] = 32
            kwargs["max_overflow"] = 16
    else:
        kwargs["pool_pre_ping"] = True
        if not pool:
            kwargs["poolclass"] = NullPool
        else:
            # Enough kept open for every update in flight (COURTYARD_CONCURRENT_UPDATES,
            # 24) and a few background sessions: a connection beyond the pool's size is
            # closed when returned, and a new one costs a connect and type set-up.
            kwargs["pool_size"] = 28
            kwargs["max_overflow"] = 12
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _install_sqlite_write_queue(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            if not inline:  # an inline connection never waits in the loop
                cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


_SECRET_QUERY_KEYS = ("pass", "secret", "token", "key")


def masked_url(url: str) -> str:
    """``url`` fit to show an operator: its password (``user:***@host``) and any
    query value that looks like a credential replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(any(word in k.lower() for word in _SECRET_QUERY_KEYS) for k, _ in pairs):
        query = "&".join(
            f"{k}=***" if any(word in k.lower() for word in _SECRET_QUERY_KEYS) else f"{k}={v}"
            for k, v in pairs
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # (urlunsplit would also drop sqlite:///'s empty host)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def is_database_failure(exc: BaseException) -> bool:
    """The database failed the statement (unreachable, locked, a constraint): what
    a person is told to try again later for, unlike a bug."""
    return isinstance(exc, DBAPIError)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def core_connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, for prebuilt Core statements on a hot path.

    Same transaction as the session's ORM work, without the ORM's per-statement
    bookkeeping; pending ORM changes are flushed first (Core statements do not
    autoflush), so the statement sees them.
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


def upsert(
    table: Table,
    *,
    insert: Sequence[str],
    conflict: Sequence[str],
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> Executable:
    """``INSERT … ON CONFLICT … DO NOTHING / DO UPDATE SET … [RETURNING …]`` as one
    statement object that SQLAlchemy's compiled cache keeps.

    The dialects' own ``insert().on_conflict_do_…()`` constructs are not cacheable
    in SQLAlchemy 2.0 (``inherit_cache = False``): each execution compiles them
    again, a few hundred microseconds on a hot path. The syntax is the same on
    SQLite (3.24+) and PostgreSQL, and every parameter is bound with its column's
    type, so values are processed exactly as the ORM would. Parameters are named
    after the ``insert`` columns; ``update`` columns take the inserted values.
    """
    # Identifiers are the table's own columns (KeyError otherwise); values are bound.
    unknown = {*insert, *conflict, *update, *returning} - set(table.c.keys())
    if unknown:
        raise KeyError(f"not columns of {table.name}: {sorted(unknown)}")
    q = '"{}"'.format
    sql = (
        f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in insert)}) "  # noqa: S608
        f"VALUES ({', '.join(':' + c for c in insert)}) "
        f"ON CONFLICT ({', '.join(q(c) for c in conflict)}) "
    )
    if update:
        sql += "DO UPDATE SET " + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update)
    else:
        sql += "DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(q(c) for c in returning)}"
    statement = text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in insert))
    if returning:  # typed result columns, as a select of them would give
        return statement.columns(*(table.c[c] for c in returning))
    return statement


@asynccontextmanager
async def transaction(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on any error."""
    async with session_factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SQLITE_WRITE_WAIT_S = 15.0
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _install_sqlite_write_queue(engine: AsyncEngine) -> None:
    """Queue this process's SQLite write transactions on an asyncio lock.

    SQLite allows one writer at a time. Left alone, a second writer spins in
    SQLite's busy handler, sleeping in growing steps (up to 100 ms each) while
    the event loop could have handed it the lock the moment the first writer
    committed; under load that turns millisecond updates into second-long ones.
    Here a transaction takes the lock just before its first write and gives it
    back when it commits or rolls back, so writers are served in order with no
    sleeping. Reads are never queued (WAL readers don't block).

    Consequence: code must not open a second session and write through it while
    its own transaction holds the lock (it would wait for itself); join the
    current transaction instead. The wait is bounded, so such a bug surfaces as
    an error, not a hang.
    """
    from sqlalchemy.util import await_only

    lock = asyncio.Lock()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get("holds_write_lock"):
            return
        if statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
            if lock.locked():
                await_only(asyncio.wait_for(lock.acquire(), SQLITE_WRITE_WAIT_S))
            else:  # free: taken without a trip through the event loop
                await_only(lock.acquire())
            conn.info["holds_write_lock"] = True

    def _release(info: dict[str, Any]) -> None:
        if info.pop("holds_write_lock", False) and lock.locked():
            lock.release()

    def _release_conn(conn: Any) -> None:
        try:
            info = conn.info
        except Exception:  # an invalidated connection: the pool events below release
            return
        _release(info)

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(conn: Any) -> None:
        _release_conn(conn)

    @event.listens_for(engine.sync_engine, "rollback")
    def _rollback(conn: Any) -> None:
        _release_conn(conn)

    pool = engine.sync_engine.pool

    @event.listens_for(pool, "reset")
    def _reset(dbapi_conn: Any, record: Any, reset_state: Any) -> None:
        _release(record.info)

    @event.listens_for(pool, "checkin")
    def _checkin(dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            _release(record.info)

    @event.listens_for(pool, "invalidate")
    def _invalidate(dbapi_conn: Any, record: Any, exception: Any) -> None:
        _release(record.info)
