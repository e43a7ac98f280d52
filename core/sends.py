"""Messages a periodic job sends: each claimed, committed, before it is sent.

A job that sends (fee reminders, the outbox's receipts and statements, the payment
spool, the ticket publisher, the move-in housekeeping) names each message with a
key that says what it is for whom (``fees.reminder:2026-12-03:12:345``). Before
sending, it claims the key: a row of :class:`SendClaim`, committed in a
transaction of its own. A second run, a second process, or a run after a crash
finds the key taken and does not send it again; the messages not claimed yet are
sent, so a re-run resumes where the first stopped.

- The send raised (Telegram unreachable, a bug): the claim is given back, the next
  run sends it.
- The process died between the claim and the send's answer: the claim stays and
  the message is not sent again (at most once: a crash never sends twice; it can
  lose that one message, which the log names when a later run skips it).
- Sent: the claim is marked done with whether it was delivered.

docs/decisions/0021-sends-claimed.md. Rows are pruned after :data:`KEEP`; a key
should therefore carry the day or the period it is for, when it may recur.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, upsert

log = logging.getLogger(__name__)

KEEP = timedelta(days=120)
# A claim unfinished this long was left by a run that died (a send takes seconds).
STALE = timedelta(minutes=10)

T = TypeVar("T")


class SendClaim(Base):
    __tablename__ = "send_claims"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    claimed_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    delivered: Mapped[bool | None]


_TABLE = SendClaim.__table__
_CLAIM = upsert(
    _TABLE,  # type: ignore[arg-type]
    insert=("key", "claimed_at"),
    conflict=("key",),
    returning=("key",),
)


async def claim(session: AsyncSession, key: str, now: datetime) -> bool:
    """Claim ``key`` in the caller's transaction; False if it was claimed before.

    On PostgreSQL a concurrent claim of the same key waits for this transaction,
    then finds the row (committed) or takes it (rolled back).
    """
    row = await session.execute(_CLAIM, {"key": key, "claimed_at": now})
    return row.first() is not None


async def claim_send(
    session_factory: async_sessionmaker[AsyncSession], key: str, now: datetime
) -> bool:
    """Claim ``key`` and commit; False if it was claimed before. A claim left unfinished
    for :data:`STALE` (a run died between the claim and the send's answer) is logged:
    that message may never have gone out, and is not sent again."""
    async with session_factory() as session:
        if await claim(session, key, now):
            await session.commit()
            return True
        row = (
            await session.execute(
                select(SendClaim.claimed_at, SendClaim.done_at).where(SendClaim.key == key)
            )
        ).first()
    if row is not None and row.done_at is None and row.claimed_at < now - STALE:
        log.warning(
            "claimed earlier and never finished: not sent again", extra={"fields": {"key": key}}
        )
    return False


async def finish_send(
    session_factory: async_sessionmaker[AsyncSession], key: str, now: datetime, delivered: bool
) -> None:
    async with session_factory() as session:
        await session.execute(
            update(SendClaim)
            .where(SendClaim.key == key)
            .values(done_at=now, delivered=delivered)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def release_send(session_factory: async_sessionmaker[AsyncSession], key: str) -> None:
    """Give a claim back (the send failed): the next run sends it."""
    async with session_factory() as session:
        await session.execute(delete(SendClaim).where(SendClaim.key == key))
        await session.commit()


async def send_once(
    session_factory: async_sessionmaker[AsyncSession],
    key: str,
    now: datetime,
    send: Callable[[], Awaitable[T]],
    *,
    delivered: Callable[[T], bool] = bool,
    retry_undelivered: bool = False,
) -> tuple[bool, T | None]:
    """Claim ``key``, then ``send()``: ``(True, result)``, or ``(False, None)`` when
    the key was claimed before. If ``send`` raises, the claim is given back; so it
    is when the result was not delivered and ``retry_undelivered`` is set (the next
    run tries again: no admin group yet, the card not posted)."""
    if not await claim_send(session_factory, key, now):
        return False, None
    try:
        result = await send()
    except BaseException:
        try:
            await release_send(session_factory, key)
        except Exception:
            log.exception("a claim could not be given back", extra={"fields": {"key": key}})
        raise
    ok = delivered(result)
    if not ok and retry_undelivered:
        await release_send(session_factory, key)
    else:
        await finish_send(session_factory, key, now, ok)
    return True, result


async def was_delivered(session: AsyncSession, key: str) -> bool:
    """Whether the message claimed as ``key`` was sent and delivered."""
    value = await session.scalar(select(SendClaim.delivered).where(SendClaim.key == key))
    return bool(value)


async def delivered_count(session: AsyncSession, prefix: str) -> int:
    """How many claims whose key starts with ``prefix`` were delivered."""
    value = await session.scalar(
        select(func.count())
        .select_from(SendClaim)
        .where(SendClaim.key.startswith(prefix, autoescape=True), SendClaim.delivered.is_(True))
    )
    return int(value or 0)


async def prune_claims(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(SendClaim).where(SendClaim.claimed_at < now - KEEP))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def is_claimed(session: AsyncSession, key: str) -> bool:
    """Whether ``key`` was claimed (sent, being sent, or lost in a crash): a job
    skips the work of building a message nobody will send."""
    found = await session.scalar(select(SendClaim.key).where(SendClaim.key == key))
    return found is not None
