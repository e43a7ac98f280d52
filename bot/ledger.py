"""Each update handled once: the ledger of handled update ids (core.delivery).

:class:`DbSessionMiddleware` asks :meth:`UpdateLedger.first` before anything else
in the update's transaction; a ``False`` means another delivery of the same update
was (or is being) handled, and this one is skipped.

- PostgreSQL (several processes): the update's row is claimed at once with
  ``INSERT … ON CONFLICT DO NOTHING RETURNING`` in its own transaction. A delivery
  of the same id on another replica waits on that row until the first commits
  (then skips) or rolls back (then handles it).
- SQLite (one process): a claim at the start would hold the database's single
  write lock through the whole handler, Telegram calls included. The process
  claims the id in memory, looks in the table only for ids that an earlier
  process can have handled (at most the highest id in the table when it started),
  and writes the row as the transaction commits (like the conversation state).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core import delivery
from core.db import utcnow

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600

# session.info key: the update id to record as the transaction commits (SQLite).
PENDING_UPDATE = "handled_update"


@event.listens_for(Session, "before_commit")
def _record_handled_update(session: Session) -> None:
    update_id = session.info.pop(PENDING_UPDATE, None)
    if update_id is not None:
        session.execute(delivery.RECORD, {"update_id": update_id, "handled_at": utcnow()})


class UpdateLedger:
    """Whether an update is the first delivery of its id to be handled."""

    # Ids claimed by this process (SQLite): enough to cover every update that can be
    # in flight or delivered again while this process runs.
    REMEMBER = 20_000

    def __init__(self, dialect: str) -> None:
        self.shared = dialect == "postgresql"
        self._ceiling: int | None = None  # highest id an earlier process handled
        self._claimed: OrderedDict[int, None] = OrderedDict()

    async def first(self, session: AsyncSession, update_id: int) -> bool:
        if self.shared:
            connection = await session.connection()
            return await delivery.claim(connection, update_id, utcnow())
        if update_id in self._claimed:
            return False
        if self._ceiling is None:
            self._ceiling = await delivery.last_handled(session) or 0
        if update_id <= self._ceiling:
            connection = await session.connection()
            if await delivery.was_handled(connection, update_id):
                return False
        self._claimed[update_id] = None
        if len(self._claimed) > self.REMEMBER:
            self._claimed.popitem(last=False)
        session.info[PENDING_UPDATE] = update_id
        return True

    def release(self, update_id: int) -> None:
        """The update's transaction rolled back: a redelivery must be handled."""
        self._claimed.pop(update_id, None)


async def prune_job(ctx: AppContext) -> int:
    """The periodic job: forget updates handled long ago (core.delivery.KEEP)."""
    async with ctx.session_factory() as session:
        # Real time, not ctx.clock: rows are stamped with it, and what matters is how
        # long Telegram may deliver an update again.
        count = await delivery.prune_handled(session, utcnow())
        await session.commit()
    return count
