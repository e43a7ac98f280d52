"""With Redis, a conversation moves on only when its update's transaction committed
(bot.storage_redis): a process dying on either side of the commit leaves the
conversation where the ledger says the update is."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ledger import UpdateLedger
from bot.middlewares.db import DbSessionMiddleware, current_session
from bot.settings import Settings
from bot.storage import create_storage
from bot.storage_redis import CourtyardRedisStorage, StagedState
from handlers.kit.commit import commit_before_send
from tests.replicas.conftest import REDIS_URL


class Visit(StatesGroup):
    purpose = State()
    window = State()


class Died(Exception):
    """The process stops here (as kill -9 would, minus the rest of the line)."""


@pytest.fixture
async def storage(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[CourtyardRedisStorage]:
    made = create_storage(
        settings.model_copy(update={"fsm_storage": "redis", "redis_url": REDIS_URL}),
        session_factory,
    )
    assert isinstance(made, CourtyardRedisStorage)
    yield made
    await made.close()


async def _update(
    session_factory: async_sessionmaker[AsyncSession],
    update_id: int,
    body: Callable[[], Awaitable[Any]],
) -> None:
    """One update through the real session middleware and ledger."""
    ledger = UpdateLedger(session_factory.kw["bind"], replicas=True)
    middleware = DbSessionMiddleware(session_factory, ledger)

    async def handler(_event: Any, _data: dict[str, Any]) -> Any:
        return await body()

    await middleware(handler, Update(update_id=update_id), {"update_seen_before": None})


async def test_a_process_dying_on_either_side_of_the_commit(
    storage: CourtyardRedisStorage,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = StorageKey(bot_id=1, chat_id=5, user_id=uuid.uuid4().int % 10**9)
    base = uuid.uuid4().int % 10**8
    state_key = storage.key_builder.build(key, "state")
    journal = f"{storage.key_builder.build(key)}:journal"

    async def to_window() -> None:
        await storage.set_state(key, Visit.window)
        await storage.update_data(key, {"purpose": "Why00"})
        assert await storage.get_state(key) == Visit.window.state  # its own reads see it
        assert await storage.redis.get(state_key) == b"Visit:purpose"

    await _update(session_factory, base, lambda: storage.set_state(key, Visit.purpose))
    assert await storage.get_state(key) == Visit.purpose.state

    # A handler that fails moves nothing on.
    async def fails() -> None:
        await to_window()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await _update(session_factory, base + 1, fails)
    assert await storage.get_state(key) == Visit.purpose.state
    assert await storage.redis.exists(journal) == 0

    # Dies before its transaction commits: the journal is dropped at the next read,
    # and the update delivered again is handled from the step it was sent in.
    real_commit = AsyncSession.commit

    async def dies(self: AsyncSession) -> None:
        raise Died

    monkeypatch.setattr(AsyncSession, "commit", dies)
    with pytest.raises(Died):
        await _update(session_factory, base + 2, to_window)
    monkeypatch.setattr(AsyncSession, "commit", real_commit)
    assert await storage.redis.exists(journal) == 1
    handled_again: list[str | None] = []

    async def again() -> None:
        handled_again.append(await storage.get_state(key))
        await to_window()

    await _update(session_factory, base + 2, again)
    assert handled_again == [Visit.purpose.state]
    assert await storage.get_state(key) == Visit.window.state
    assert await storage.get_data(key) == {"purpose": "Why00"}

    # Dies after the commit, before Redis: the next read applies the writes, and
    # the update delivered again is skipped (its answer is not taken for the next
    # step's).
    async def to_purpose() -> None:
        await storage.set_state(key, Visit.purpose)
        await storage.set_data(key, {})

    async def dies_after(self: StagedState) -> None:
        raise Died

    monkeypatch.setattr(StagedState, "apply", dies_after)
    with pytest.raises(Died):
        await _update(session_factory, base + 3, to_purpose)
    monkeypatch.undo()
    assert await storage.redis.get(state_key) == b"Visit:window"
    skipped: list[int] = []
    await _update(session_factory, base + 3, lambda: _note(skipped))
    assert skipped == []
    assert await storage.get_state(key) == Visit.purpose.state
    assert await storage.get_data(key) == {}
    assert await storage.redis.exists(journal) == 0

    # A handler that commits before it sends (handlers.kit.commit) and then dies: its
    # update is recorded as handled, so its conversation has moved on with it.
    async def commits_then_dies() -> None:
        await storage.set_state(key, Visit.window)
        await commit_before_send(current_session.get())
        raise Died

    with pytest.raises(Died):
        await _update(session_factory, base + 4, commits_then_dies)
    assert await storage.get_state(key) == Visit.window.state
    await storage.set_state(key, None)


async def _note(into: list[int]) -> None:
    into.append(1)
