"""Conversation state (aiogram FSM) kept in the application database.

Inside an update, reads and writes join the handler's own transaction (the
session the DB middleware opened): the state is read once, changes are written
when that transaction commits, and a failing handler rolls its state change back
together with its data: a conversation never points at a step whose data was
not saved. Outside an update a short transaction of its own is used.
Because the state is in the database, a restarted bot continues every
conversation where it was; Redis is the alternative for several processes
(``COURTYARD_FSM_STORAGE=redis``, bot.storage_redis: written with the update's
commit too).

The database store serves one bot process (its per-chat lock is in-process too),
so it also remembers what it last committed for each conversation: most updates
(a menu, /help, free text) then need no database round trip for their state at
all. The database stays the record — the memory is filled from it, updated only
after a commit succeeded, and lost harmlessly on restart.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import bindparam, delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.middlewares.db import PENDING_STATE, current_session
from core.db import upsert, utcnow
from core.models import ConversationState


def _key(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id:
        parts.append(f"b{key.business_connection_id}")
    if key.destiny != "default":
        parts.append(key.destiny)
    return ":".join(parts)


# Statements are built once (their cache keys with them): this runs on every update.
_READ = select(ConversationState.state, ConversationState.data).where(
    ConversationState.key == bindparam("key")
)
_UPSERTS: dict[frozenset[str], Any] = {}


def _upsert(key: str, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """An upsert setting ``values``' columns (one cacheable statement per column
    set, see core.db.upsert), and its parameters."""
    columns = frozenset(values)
    stmt = _UPSERTS.get(columns)
    if stmt is None:
        stmt = _UPSERTS[columns] = upsert(
            ConversationState.__table__,  # type: ignore[arg-type]
            insert=("key", "state", "data", "updated_at"),
            conflict=("key",),
            update=(*sorted(columns), "updated_at"),
        )
    params = {"key": key, "state": None, "data": "{}", **values, "updated_at": utcnow()}
    return stmt, params


@event.listens_for(Session, "before_commit")
def _write_pending_state(session: Session) -> None:
    """Write the update's conversation state changes as its transaction commits.

    Inside an update, ``set_state``/``set_data`` only record the change; it is
    written here, in the same transaction as the handler's data, one statement per
    conversation. Writing at the end keeps SQLite's single write lock from being
    held while the handler talks to Telegram, and a step that changes nothing
    (a menu press in no conversation) writes nothing.
    """
    pending: dict[str, dict[str, Any]] | None = session.info.pop(PENDING_STATE, None)
    if not pending:
        return
    for key, values in pending.items():
        session.execute(*_upsert(key, values))
    session.info[_WRITTEN] = pending


@event.listens_for(Session, "after_commit")
def _remember_committed_state(session: Session) -> None:
    """What was written is now what the database holds: remember it."""
    written: dict[str, dict[str, Any]] | None = session.info.pop(_WRITTEN, None)
    storage: DatabaseStorage | None = session.info.get(_STORAGE)
    if written and storage is not None:
        cache = session.info.get(_CACHE, {})
        for key in written:
            storage._remember(key, cache.get(key))


@event.listens_for(Session, "after_rollback")
def _forget_written_state(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


_CACHE = "fsm"  # this update's view: committed state plus its own changes
_WRITTEN = "fsm_written"  # written in the committing transaction
_STORAGE = "fsm_storage"
_UNREAD = object()


class DatabaseStorage(BaseStorage):
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, remember: int = 100_000
    ) -> None:
        self.session_factory = session_factory
        # key -> committed (state, data-json), or None for "no row"; at most
        # ``remember`` conversations (then it starts over: the database has them).
        self._committed: dict[str, tuple[str | None, str] | None] = {}
        self._remember_max = remember

    def _remember(self, key: str, value: tuple[str | None, str] | None) -> None:
        if len(self._committed) >= self._remember_max:
            self._committed.clear()
        self._committed[key] = value

    async def _write(self, key: str, values: dict[str, Any]) -> None:
        session = current_session.get()
        if session is None:
            self._committed.pop(key, None)
            async with self.session_factory() as own:
                await own.execute(*_upsert(key, values))
                await own.commit()
            return
        if key not in session.info.get(_CACHE, ()):
            await self._read(key)  # the update's view starts from the committed state
        cache = session.info[_CACHE]
        old = cache[key] or (None, "{}")
        new = (values.get("state", old[0]), values.get("data", old[1]))
        if new == old:
            return  # nothing changes: nothing to write
        cache[key] = new
        pending = session.info.setdefault(PENDING_STATE, {})
        pending.setdefault(key, {}).update(values)
        session.info[_STORAGE] = self

    async def _read(self, key: str) -> tuple[str | None, str] | None:
        """(state, data-json) for ``key``; read once per update, then from the
        session's cache (filters and handlers ask for the state several times),
        which also holds this update's own changes."""
        session = current_session.get()
        if session is not None:
            cache = session.info.setdefault(_CACHE, {})
            if key not in cache:
                stored = self._committed.get(key, _UNREAD)
                if stored is _UNREAD:
                    # Core on the session's connection: same transaction, no ORM
                    # overhead. Only this process writes conversations (see above),
                    # and the chat's lock is held, so the row cannot change under us.
                    connection = await session.connection()
                    row = (await connection.execute(_READ, {"key": key})).first()
                    stored = (row[0], row[1]) if row else None
                    self._remember(key, stored)
                cache[key] = stored
            cached: tuple[str | None, str] | None = cache[key]
            return cached
        async with self.session_factory() as own:
            row = (await own.execute(_READ, {"key": key})).first()
            return (row[0], row[1]) if row else None

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(_key(key), {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(_key(key))
        return row[0] if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(_key(key), {"data": json.dumps(dict(data), ensure_ascii=False)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(_key(key))
        if row is None or not row[1]:
            return {}
        loaded: dict[str, Any] = json.loads(row[1])
        return loaded

    async def clear_all(self) -> None:
        self._committed.clear()
        async with self.session_factory() as own:
            await own.execute(delete(ConversationState))
            await own.commit()

    async def close(self) -> None:
        return None


REDIS_CONNECTIONS = 64
REDIS_WAIT_S = 20


async def check_storage(storage: BaseStorage) -> None:
    """At start-up: a Redis store that does not answer fails here, in one line
    (bot.startup), not in every update afterwards."""
    redis = getattr(storage, "redis", None)
    if redis is not None:
        await asyncio.wait_for(redis.ping(), 5)


def create_storage(settings: Any, session_factory: async_sessionmaker[AsyncSession]) -> BaseStorage:
    if settings.fsm_storage == "redis":
        from aiogram.fsm.storage.redis import DefaultKeyBuilder
        from redis.asyncio import BlockingConnectionPool, Redis

        from bot.storage_redis import CourtyardRedisStorage

        # A burst of updates waits for a free connection instead of failing with
        # "Too many connections" (every update in flight holds its chat's lock key).
        pool = BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_S
        )
        return CourtyardRedisStorage(
            redis=Redis(connection_pool=pool),
            key_builder=DefaultKeyBuilder(with_destiny=True),
            session_factory=session_factory,
        )
    if settings.fsm_storage == "memory":
        from aiogram.fsm.storage.memory import MemoryStorage

        return MemoryStorage()
    return DatabaseStorage(session_factory)
