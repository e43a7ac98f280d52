"""Conversation state (aiogram FSM) kept in the application database.

Inside an update, reads and writes join the handler's own transaction (the
session the DB middleware opened), so a failing handler rolls its state change
back together with its data: a conversation never points at a step whose data
was not saved. Outside an update a short transaction of its own is used.
Because the state is in the database, a restarted bot continues every
conversation where it was; Redis is the alternative for several processes
(``COURTYARD_FSM_STORAGE=redis``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.db import current_session
from core.db import utcnow
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


class DatabaseStorage(BaseStorage):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def _upsert(self, session: AsyncSession, key: str, values: dict[str, Any]) -> None:
        dialect = session.bind.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        now = utcnow()
        row = {"key": key, "state": None, "data": "{}", "updated_at": now, **values}
        stmt = insert(ConversationState).values(**row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ConversationState.key], set_={**values, "updated_at": now}
        )
        await session.execute(stmt)

    async def _write(self, key: str, values: dict[str, Any]) -> None:
        session = current_session.get()
        if session is not None:
            await self._upsert(session, key, values)
            cache = session.info.setdefault("fsm", {})
            old = cache.get(key) or (None, "{}")
            cache[key] = (values.get("state", old[0]), values.get("data", old[1]))
            return
        async with self.session_factory() as own:
            await self._upsert(own, key, values)
            await own.commit()

    async def _read(self, key: str) -> tuple[str | None, str] | None:
        """(state, data-json) for ``key``; read once per update, then from the
        session's cache (filters and handlers ask for the state several times)."""
        query = select(ConversationState.state, ConversationState.data).where(
            ConversationState.key == key
        )
        session = current_session.get()
        if session is not None:
            cache = session.info.setdefault("fsm", {})
            if key not in cache:
                row = (await session.execute(query)).first()
                cache[key] = (row[0], row[1]) if row else None
            cached: tuple[str | None, str] | None = cache[key]
            return cached
        async with self.session_factory() as own:
            row = (await own.execute(query)).first()
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
        async with self.session_factory() as own:
            await own.execute(delete(ConversationState))
            await own.commit()

    async def close(self) -> None:
        return None


def create_storage(settings: Any, session_factory: async_sessionmaker[AsyncSession]) -> BaseStorage:
    if settings.fsm_storage == "redis":
        from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

        return RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True)
        )
    if settings.fsm_storage == "memory":
        from aiogram.fsm.storage.memory import MemoryStorage

        return MemoryStorage()
    return DatabaseStorage(session_factory)
