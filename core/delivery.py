"""Which Telegram updates have been handled: each exactly once, whatever redelivers it.

An update is answered (webhook) or confirmed (polling) only after its transaction
committed, so Telegram delivers again whatever a dying process held. The row of
:class:`HandledUpdate` is written in the update's own transaction: it exists if and
only if the update's effects were committed, and a redelivery finds it and is
skipped (docs/decisions/0019-delivery-guarantee.md).

Telegram keeps an undelivered update for at most 24 hours, and after a week without
updates may start its ids anywhere: rows older than :data:`KEEP` are pruned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Index, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, upsert

KEEP = timedelta(hours=48)


class HandledUpdate(Base):
    __tablename__ = "handled_updates"
    __table_args__ = (Index("ix_handled_updates_at", "handled_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime]


_TABLE = HandledUpdate.__table__
# Built once (cached statements): these run on every update.
CLAIM = upsert(
    _TABLE,  # type: ignore[arg-type]
    insert=("update_id", "handled_at"),
    conflict=("update_id",),
    returning=("update_id",),
)
RECORD = upsert(_TABLE, insert=("update_id", "handled_at"), conflict=("update_id",))  # type: ignore[arg-type]
_SEEN = select(HandledUpdate.update_id).where(HandledUpdate.update_id == bindparam("update_id"))


async def claim(connection: AsyncConnection, update_id: int, now: datetime) -> bool:
    """Write the update's row in the current transaction; False if it already has one.

    On PostgreSQL a second transaction claiming the same id waits for the first to
    end: it then finds the row (the first committed) or takes it (it rolled back).
    """
    row = await connection.execute(CLAIM, {"update_id": update_id, "handled_at": now})
    return row.first() is not None


async def was_handled(connection: AsyncConnection, update_id: int) -> bool:
    return (await connection.execute(_SEEN, {"update_id": update_id})).first() is not None


async def last_handled(session: AsyncSession) -> int | None:
    """The highest update id handled (None: none, or all pruned)."""
    value = await session.scalar(select(func.max(HandledUpdate.update_id)))
    return int(value) if value is not None else None


async def prune_handled(session: AsyncSession, now: datetime) -> int:
    """Forget updates handled longer than :data:`KEEP` ago; how many were forgotten."""
    stale = delete(HandledUpdate).where(HandledUpdate.handled_at < now - KEEP)
    result = await session.execute(stale)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
