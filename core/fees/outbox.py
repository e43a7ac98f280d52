"""The outbox of must-deliver messages (receipts, statements, staff alerts).

A message is *enqueued* in the same transaction as the fact that makes it
necessary (a payment, a statement), so it exists exactly when the fact does. A
worker then *claims* it (a short lease, so two workers never send it at the same
time), sends its parts, records each part as done (``step``), and marks it sent.
A crash at any point leaves the row pending and the next run resumes it; a
duplicate enqueue is a no-op (``dedupe_key`` is unique).

Each part is claimed before it is sent (core.sends, handlers.fees.parts): one plain
send per part at most. A send whose fate is unknown — a timeout, or a worker that
died between the claim and Telegram's answer — is marked ``uncertain_step`` and the
part goes once more as a copy that says it is one. The lease is renewed at every
part, so a slow delivery under load is never taken over by a second worker while it
is still sending (decisions 0021, 0023).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.fees.models import FeeOutbox, OutboxStatus

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
# After this many failed attempts with a transient error, keep retrying hourly.
BACKOFF_BASE_S = 15
UNCERTAIN = "uncertain_step"  # in the payload: the part whose last send is unaccounted for


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    community_id: int
    person_id: int | None
    chat_id: int
    payload: dict[str, Any]
    step: int
    attempts: int
    uncertain_step: int | None = None  # a part whose send may or may not have arrived


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    community_id: int,
    chat_id: int,
    dedupe_key: str,
    payload: dict[str, Any],
    person_id: int | None = None,
    now: datetime,
    not_before: datetime | None = None,
) -> int | None:
    """Add a message in the caller's transaction; None when it was already queued."""
    insert_fn: Any = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert_fn(FeeOutbox)
        .values(
            kind=kind,
            community_id=community_id,
            person_id=person_id,
            chat_id=chat_id,
            payload=payload,
            dedupe_key=dedupe_key,
            status=OutboxStatus.PENDING,
            step=0,
            attempts=0,
            next_attempt_at=not_before or now,
            last_error="",
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(FeeOutbox.id)
    )
    result: int | None = (await session.execute(stmt)).scalar()
    return result


async def due_ids(
    session_factory: async_sessionmaker[AsyncSession], *, now: datetime, limit: int = 200
) -> list[int]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(FeeOutbox.id)
            .where(
                FeeOutbox.status == OutboxStatus.PENDING,
                FeeOutbox.next_attempt_at <= now,
                or_(FeeOutbox.claimed_until.is_(None), FeeOutbox.claimed_until < now),
            )
            .order_by(FeeOutbox.next_attempt_at, FeeOutbox.id)
            .limit(limit)
        )
        return list(rows.all())


async def claim(
    session_factory: async_sessionmaker[AsyncSession], item_id: int, *, now: datetime
) -> OutboxItem | None:
    """Take a lease on one pending item; None when it is sent or someone holds it."""
    async with session_factory() as session:
        result = await session.execute(
            update(FeeOutbox)
            .where(
                FeeOutbox.id == item_id,
                FeeOutbox.status == OutboxStatus.PENDING,
                or_(FeeOutbox.claimed_until.is_(None), FeeOutbox.claimed_until < now),
            )
            .values(claimed_until=now + LEASE, attempts=FeeOutbox.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await session.rollback()
            return None
        row = await session.get(FeeOutbox, item_id, populate_existing=True)
        await session.commit()
        assert row is not None
        return OutboxItem(
            id=row.id,
            kind=row.kind,
            community_id=row.community_id,
            person_id=row.person_id,
            chat_id=row.chat_id,
            payload=dict(row.payload or {}),
            step=row.step,
            attempts=row.attempts,
            uncertain_step=(row.payload or {}).get(UNCERTAIN),
        )


async def mark_step(
    session_factory: async_sessionmaker[AsyncSession],
    item_id: int,
    step: int,
    *,
    now: datetime,
) -> None:
    """Part ``step`` went out; the lease runs again from now (the next part is ours)."""
    async with session_factory() as session:
        await session.execute(
            update(FeeOutbox)
            .where(FeeOutbox.id == item_id)
            .values(step=step, claimed_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def mark_uncertain(
    session_factory: async_sessionmaker[AsyncSession], item_id: int, step: int
) -> None:
    """Part ``step`` was sent but its answer was lost: its next send is a marked copy."""
    async with session_factory() as session:
        row = await session.get(FeeOutbox, item_id)
        if row is not None:
            row.payload = {**(row.payload or {}), UNCERTAIN: step}
            await session.commit()


async def mark_sent(
    session_factory: async_sessionmaker[AsyncSession], item_id: int, *, now: datetime
) -> None:
    async with session_factory() as session:
        await session.execute(
            update(FeeOutbox)
            .where(FeeOutbox.id == item_id)
            .values(status=OutboxStatus.SENT, sent_at=now, claimed_until=None, last_error="")
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def mark_failed(
    session_factory: async_sessionmaker[AsyncSession],
    item_id: int,
    *,
    now: datetime,
    error: str,
    permanent: bool,
    attempts: int,
) -> None:
    """Release the lease: retry later with backoff, or give up (recipient unreachable)."""
    backoff = min(timedelta(seconds=BACKOFF_BASE_S * 2 ** min(attempts, 12)), MAX_BACKOFF)
    values: dict[str, Any] = {"claimed_until": None, "last_error": error[:255]}
    if permanent:
        values["status"] = OutboxStatus.FAILED
    else:
        values["next_attempt_at"] = now + backoff
    async with session_factory() as session:
        await session.execute(
            update(FeeOutbox)
            .where(FeeOutbox.id == item_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
