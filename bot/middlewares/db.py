"""One database session per update: committed when the handler succeeds, rolled back
when it fails. The conversation store joins the same transaction (see bot.storage);
the conversation state is read here, first thing in the transaction.

A session costs nothing until it is used: an update whose state and sender are
already known (a menu press, /help) and whose handler reads nothing opens no
transaction, and then there is nothing to commit — except the update's own id:
with a ledger (bot.ledger) every update is recorded as handled in its
transaction when it changes anything, and a delivery of an id already handled is
skipped here, first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ledger import (
    PENDING_STATE,  # re-exported: bot.storage's key for changes waiting for the commit
    STATE_CHANGED,
    DeliveredAgain,
    UpdateLedger,
)

log = logging.getLogger(__name__)

# session.info key of the update's Redis conversation writes (bot.storage_redis).
STAGED_REDIS = "fsm_redis_staged"

# session.info key: the id of the update the session serves (None: not an update).
UPDATE_ID = "update_id"

current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


class DbSessionMiddleware(BaseMiddleware):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        ledger: UpdateLedger | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.ledger = ledger

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self.session_factory()
        token = current_session.set(session)
        data["session"] = session
        update_id = event.update_id if isinstance(event, Update) else None
        claimed = False
        try:
            if self.ledger is not None and update_id is not None:
                seen = data.get("update_seen_before")
                if not await self.ledger.first(session, update_id, seen):
                    log.info("update delivered again, already handled: skipped")
                    data["update_duplicate"] = True  # bot.middlewares.metrics
                    await session.rollback()
                    return None
                claimed = True
            state = data.get("state")
            if state is not None and "raw_state" not in data:
                # Read inside this transaction (bot.dispatcher.DeferredStateMiddleware).
                data["raw_state"] = await state.get_state()
            session.info[UPDATE_ID] = update_id
            result = await handler(event, data)
            if _has_work(session):
                await commit_update(session)
            return result
        except DeliveredAgain:
            log.info("update delivered again, handled meanwhile elsewhere: rolled back")
            data["update_duplicate"] = True
            await session.rollback()
            staged = session.info.get(STAGED_REDIS)
            if staged is not None:
                await staged.discard()
            return None
        except BaseException:
            if claimed and self.ledger is not None and update_id is not None:
                self.ledger.release(update_id)
            if session.in_transaction():
                await session.rollback()
            raise
        finally:
            current_session.reset(token)
            if session.in_transaction():  # only if commit and rollback both failed
                await session.close()


async def commit_update(session: AsyncSession) -> None:
    """Commit an update's session, and its conversation writes in Redis with it
    (bot.storage_redis: journal, commit, writes). The middleware's commit at the end,
    and a handler's one sanctioned commit before it sends (handlers.kit.commit)."""
    staged = session.info.get(STAGED_REDIS)
    if staged is not None and staged.writes:
        await staged.stage(session.info.get(UPDATE_ID))
    await session.commit()
    if staged is not None and staged.writes:
        await staged.apply()


def _has_work(session: AsyncSession) -> bool:
    """Anything to commit: an open transaction, or changes not yet flushed
    (objects added, conversation state set) that commit would write."""
    return bool(
        session.in_transaction()
        or session.info.get(PENDING_STATE)
        or session.info.get(STATE_CHANGED)
        or session.new
        or session.dirty
        or session.deleted
    )
