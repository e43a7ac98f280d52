"""Conversation state in Redis (replicas), changed together with the update's
transaction.

Redis and the database cannot commit together, and a conversation must never be a
step ahead of what was saved: a process killed after moving the conversation on
but before its transaction committed would have Telegram deliver the update again,
and the answer would be taken for the next step's (a visitor's purpose read as
their time window). So, inside an update, ``set_state``/``set_data`` are kept in
the update's session (its own reads see them) and reach Redis only with the
commit (``bot.middlewares.db.commit_update``, the update's commit at the end and a
handler's commit before it sends, calls :class:`StagedState`):

1. before the commit, a journal per conversation: the update's id and its writes;
2. the commit: the update's data and its row in the ledger (bot.ledger);
3. the writes, and the journal removed, in one MULTI.

A process that dies between 1 and 3 leaves a journal; the next read of that
conversation settles it: the update's row exists → its writes are applied (it is
done and will be skipped when delivered again); no row → the journal is dropped
(the update is handled again, from the state before it). A handler that fails, or
a delivery found to be a duplicate, changes nothing in Redis.

A handler that commits before it sends (handlers.kit.commit) moves the conversation
then; what it sets afterwards goes with the final commit, whose journal is settled by
the same ledger row: a process dying between that journal and the final commit moves
the conversation on although the final transaction was lost — only for a handler that
writes rows after its commit-before-send and then sets the state, which the handlers
avoid (they send, they do not go on writing).

Outside an update (a job) writes go straight to Redis.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ledger import STATE_CHANGED
from bot.middlewares.db import STAGED_REDIS as STAGED
from bot.middlewares.db import current_session
from core import delivery

# Well under core.delivery.KEEP: the ledger must still know the update when a
# journal is settled, and a delivery again comes within minutes, not days.
JOURNAL_TTL_S = 6 * 3600


class StagedState:
    """One update's conversation writes, waiting for its transaction."""

    def __init__(self, storage: CourtyardRedisStorage) -> None:
        self.storage = storage
        # journal key -> {redis key: value, or None to delete}
        self.writes: dict[str, dict[str, str | None]] = {}
        self.journaled: list[str] = []

    def get(self, journal: str, redis_key: str) -> tuple[bool, str | None]:
        writes = self.writes.get(journal, {})
        return (redis_key in writes, writes.get(redis_key))

    async def stage(self, update_id: int | None) -> None:
        """Step 1: the journal, before the transaction commits."""
        if update_id is None:
            return  # nothing to settle it by: applied after the commit only
        async with self.storage.redis.pipeline(transaction=False) as pipe:
            for journal, writes in self.writes.items():
                entry = json.dumps({"update": update_id, "writes": writes})
                pipe.set(journal, entry, ex=JOURNAL_TTL_S)
            await pipe.execute()
        self.journaled = list(self.writes)

    async def apply(self) -> None:
        """Step 3: the transaction committed; the conversation moves on. What the
        update writes after this (following a commit before a send) is a new batch."""
        async with self.storage.redis.pipeline(transaction=True) as pipe:
            for journal, writes in self.writes.items():
                self.storage.queue_writes(pipe, writes)
                pipe.delete(journal)
            await pipe.execute()
        self.writes, self.journaled = {}, []

    async def discard(self) -> None:
        """Another delivery of the update committed first: this one's journal goes."""
        if self.journaled:
            await self.storage.redis.delete(*self.journaled)


class CourtyardRedisStorage(RedisStorage):
    """aiogram's Redis store, its writes made with the update's transaction."""

    def __init__(
        self, *args: Any, session_factory: async_sessionmaker[AsyncSession], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.session_factory = session_factory

    def _journal(self, key: StorageKey) -> str:
        return f"{self.key_builder.build(key)}:journal"

    def queue_writes(self, pipe: Any, writes: Mapping[str, str | None]) -> None:
        for redis_key, value in writes.items():
            if value is None:
                pipe.delete(redis_key)
            else:
                ttl = self.state_ttl if redis_key.endswith(":state") else self.data_ttl
                pipe.set(redis_key, value, ex=ttl)

    async def _write(self, key: StorageKey, redis_key: str, value: str | None) -> None:
        session = current_session.get()
        if session is None:
            async with self.redis.pipeline(transaction=False) as pipe:
                self.queue_writes(pipe, {redis_key: value})
                await pipe.execute()
            return
        session.info[STATE_CHANGED] = True  # the update is recorded as handled
        staged = session.info.get(STAGED)
        if staged is None:
            staged = session.info[STAGED] = StagedState(self)
        staged.writes.setdefault(self._journal(key), {})[redis_key] = value

    async def _read(self, key: StorageKey, redis_key: str) -> str | None:
        session = current_session.get()
        staged = session.info.get(STAGED) if session is not None else None
        if staged is not None:
            found, value = staged.get(self._journal(key), redis_key)
            if found:
                return value
        journal = self._journal(key)
        value, entry = await self.redis.mget(redis_key, journal)
        if entry is not None:
            await self._settle(journal, entry)
            value = await self.redis.get(redis_key)
        return value.decode() if isinstance(value, bytes) else value

    async def _settle(self, journal: str, entry: bytes | str) -> None:
        """A process died between its journal and its writes (see the module)."""
        loaded = json.loads(entry)
        session = current_session.get()
        if session is not None:
            done = await delivery.was_handled(await session.connection(), loaded["update"])
        else:
            async with self.session_factory() as own:
                done = await delivery.was_handled(await own.connection(), loaded["update"])
        async with self.redis.pipeline(transaction=True) as pipe:
            if done:
                self.queue_writes(pipe, loaded["writes"])
            pipe.delete(journal)
            await pipe.execute()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, self.key_builder.build(key, "state"), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._read(key, self.key_builder.build(key, "state"))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        value = self.json_dumps(dict(data)) if data else None
        await self._write(key, self.key_builder.build(key, "data"), value)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        value = await self._read(key, self.key_builder.build(key, "data"))
        return dict(self.json_loads(value)) if value else {}
