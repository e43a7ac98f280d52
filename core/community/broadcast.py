"""Delivering notices: claim a batch of recipients, send, mark each one.

A row is *claimed* (status CLAIMED, a lease) in a committed transaction before its
message is sent, and *marked* (SENT with the message id, or FAILED with the reason)
right after: the job commits the marks of all messages answered in the last 0.1 s
together (:func:`mark_many`, a group commit). A restart resumes the PENDING rows and never
sends a SENT one again; a row whose lease ran out (the process died between the
send and its mark, a window of at most 0.1 s of sending) is sent again: a duplicate is
better than a resident who never hears the water is off
(docs/decisions/0027-community-notices-and-votes.md).

Outage notices get two more phases, made due here: a reminder before the outage
starts and a word when it has ended, each to the residents the notice reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.community.models import (
    DeliveryStatus,
    Notice,
    NoticeDelivery,
    NoticeKind,
    NoticeStatus,
    Phase,
)
from core.community.notices import add_deliveries
from core.db import transaction
from core.models import Person

LEASE = timedelta(minutes=2)
REMIND_BEFORE = timedelta(hours=2)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    notice_id: int
    phase: Phase
    telegram_id: int | None
    locale: str | None
    gave_up: bool = False  # tried MAX_ATTEMPTS times: to be marked failed, not sent


async def start_due(session_factory: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """Scheduled notices whose time has come start sending; outages due a reminder
    or an end word get those rows."""
    async with transaction(session_factory) as session:
        await session.execute(
            update(Notice)
            .where(Notice.status == NoticeStatus.SCHEDULED, Notice.send_at <= now)
            .values(status=NoticeStatus.SENDING)
        )
        reminders = await session.scalars(
            select(Notice).where(
                Notice.kind == NoticeKind.OUTAGE,
                Notice.status == NoticeStatus.SENT,
                Notice.reminded_at.is_(None),
                Notice.starts_at > now,
                Notice.starts_at <= now + REMIND_BEFORE,
            )
        )
        for notice in reminders.all():
            notice.reminded_at = now
            await _follow_up(session, notice, Phase.REMINDER)
        ended = await session.scalars(
            select(Notice).where(
                Notice.kind == NoticeKind.OUTAGE,
                Notice.status == NoticeStatus.SENT,
                Notice.ended_told_at.is_(None),
                Notice.ends_at <= now,
            )
        )
        for notice in ended.all():
            notice.ended_told_at = now
            notice.reminded_at = notice.reminded_at or now  # too late to remind
            await session.execute(  # a reminder still unsent when it is over: dropped
                update(NoticeDelivery)
                .where(
                    NoticeDelivery.notice_id == notice.id,
                    NoticeDelivery.phase == Phase.REMINDER,
                    NoticeDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
                )
                .values(status=DeliveryStatus.FAILED, reason="too_late", claimed_until=None)
            )
            await _follow_up(session, notice, Phase.ENDED)


async def _follow_up(session: AsyncSession, notice: Notice, phase: Phase) -> None:
    reached = await session.execute(
        select(NoticeDelivery.person_id, NoticeDelivery.building_id).where(
            NoticeDelivery.notice_id == notice.id,
            NoticeDelivery.phase == Phase.NOTICE,
            NoticeDelivery.status == DeliveryStatus.SENT,
            NoticeDelivery.person_id.is_not(None),
        )
    )
    people = {int(p): b for p, b in reached.all()}
    if people:
        await add_deliveries(session, notice.id, people, phase)


async def claim_batch(
    session_factory: async_sessionmaker[AsyncSession], now: datetime, limit: int
) -> list[Claim]:
    """Take a lease on up to ``limit`` due recipients (committed before any send)."""
    async with transaction(session_factory) as session:
        query = (
            select(NoticeDelivery.id)
            .join(Notice, Notice.id == NoticeDelivery.notice_id)
            .where(
                Notice.status != NoticeStatus.SCHEDULED,
                or_(
                    NoticeDelivery.status == DeliveryStatus.PENDING,
                    and_(
                        NoticeDelivery.status == DeliveryStatus.CLAIMED,
                        NoticeDelivery.claimed_until < now,
                    ),
                ),
            )
            .order_by(NoticeDelivery.id)
            .limit(limit)
        )
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(of=NoticeDelivery, skip_locked=True)
        ids = list((await session.scalars(query)).all())
        if not ids:
            return []
        await session.execute(
            update(NoticeDelivery)
            .where(NoticeDelivery.id.in_(ids))
            .values(
                status=DeliveryStatus.CLAIMED,
                claimed_until=now + LEASE,
                attempts=NoticeDelivery.attempts + 1,
            )
        )
        rows = await session.execute(
            select(
                NoticeDelivery.id,
                NoticeDelivery.notice_id,
                NoticeDelivery.phase,
                NoticeDelivery.attempts,
                Person.telegram_id,
                Person.locale,
            )
            .outerjoin(Person, Person.id == NoticeDelivery.person_id)
            .where(NoticeDelivery.id.in_(ids))
            .order_by(NoticeDelivery.id)
        )
        claims = []
        for delivery_id, notice_id, phase, attempts, telegram_id, locale in rows.all():
            claims.append(
                Claim(
                    delivery_id,
                    notice_id,
                    Phase(phase),
                    telegram_id,
                    locale,
                    gave_up=attempts > MAX_ATTEMPTS,
                )
            )
        return claims


async def mark(
    session: AsyncSession,
    delivery_id: int,
    *,
    ok: bool,
    now: datetime,
    message_id: int | None = None,
    reason: str | None = None,
) -> None:
    await session.execute(
        update(NoticeDelivery)
        .where(NoticeDelivery.id == delivery_id, NoticeDelivery.status == DeliveryStatus.CLAIMED)
        .values(
            status=DeliveryStatus.SENT if ok else DeliveryStatus.FAILED,
            message_id=message_id,
            reason=reason,
            sent_at=now if ok else None,
            claimed_until=None,
        )
    )


@dataclass(frozen=True)
class Mark:
    delivery_id: int
    ok: bool
    message_id: int | None = None
    reason: str | None = None


_MARK_MANY = (
    update(NoticeDelivery.__table__)  # type: ignore[arg-type]
    .where(
        NoticeDelivery.__table__.c.id == bindparam("b_id"),
        NoticeDelivery.__table__.c.status == DeliveryStatus.CLAIMED.value,
    )
    .values(
        status=bindparam("b_status"),
        message_id=bindparam("b_message_id"),
        reason=bindparam("b_reason"),
        sent_at=bindparam("b_sent_at"),
        claimed_until=None,
    )
)


async def mark_many(session: AsyncSession, marks: list[Mark], now: datetime) -> None:
    """Mark several rows in one statement (the delivery job's group commit)."""
    if not marks:
        return
    await session.execute(
        _MARK_MANY,
        [
            {
                "b_id": m.delivery_id,
                "b_status": (DeliveryStatus.SENT if m.ok else DeliveryStatus.FAILED).value,
                "b_message_id": m.message_id,
                "b_reason": m.reason,
                "b_sent_at": now if m.ok else None,
            }
            for m in marks
        ],
    )


async def release(session: AsyncSession, *delivery_ids: int) -> None:
    """Claims not sent (an unexpected error, or a stop before the send): back to
    pending, for the next run."""
    await session.execute(
        update(NoticeDelivery)
        .where(NoticeDelivery.id.in_(delivery_ids), NoticeDelivery.status == DeliveryStatus.CLAIMED)
        .values(status=DeliveryStatus.PENDING, claimed_until=None)
    )


async def finish_sent(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> list[int]:
    """Notices whose every recipient is marked become SENT; their ids (to report)."""
    async with transaction(session_factory) as session:
        sending = list(
            (
                await session.scalars(
                    select(Notice.id).where(Notice.status == NoticeStatus.SENDING)
                )
            ).all()
        )
        done = []
        for notice_id in sending:
            open_row = await session.scalar(
                select(NoticeDelivery.id)
                .where(
                    NoticeDelivery.notice_id == notice_id,
                    NoticeDelivery.phase == Phase.NOTICE,
                    NoticeDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)),
                )
                .limit(1)
            )
            if open_row is None:
                done.append(notice_id)
        if done:
            await session.execute(
                update(Notice)
                .where(Notice.id.in_(done))
                .values(status=NoticeStatus.SENT, reported_at=now)
            )
        return done
