"""The rota and the hand-over: adding shifts, asking for the hand-over when a shift
ends, recording and acknowledging it, alerting the managers when nobody does.

Both scheduler-side steps (:func:`claim_ended_shifts`, :func:`claim_unacknowledged`)
stamp their rows by conditional UPDATEs: the caller commits, then tells people, so
nobody is told twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.models import Community, Person, Staff
from core.shifts.models import Handover, Shift

ACK_MINUTES = 30
LOOKBACK = timedelta(days=1)
MAX_FIELD = 1000


class ShiftError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def find_staff(session: AsyncSession, community_id: int, who: str) -> Person:
    """The active staff member named ``who`` (@username or the full name)."""
    query = (
        select(Person)
        .join(Staff, Staff.person_id == Person.id)
        .where(Staff.community_id == community_id, Staff.active.is_(True))
    )
    if who.startswith("@"):
        query = query.where(func.lower(Person.username) == who[1:].lower())
    else:
        query = query.where(func.lower(Person.full_name) == who.lower())
    found = list((await session.scalars(query.limit(2))).all())
    if len(found) != 1:
        raise ShiftError("unknown_staff" if not found else "ambiguous_staff")
    return found[0]


async def add_shift(
    session: AsyncSession,
    community: Community,
    *,
    who: str,
    day: date,
    start: time,
    end: time,
    actor_person_id: int | None,
) -> Shift:
    """A shift on local ``day`` from ``start`` to ``end`` (past midnight when end <= start)."""
    person = await find_staff(session, community.id, who)
    zone = ZoneInfo(community.timezone)
    starts = datetime.combine(day, start, tzinfo=zone)
    ends = datetime.combine(day + timedelta(days=1 if end <= start else 0), end, tzinfo=zone)
    shift = Shift(
        community_id=community.id,
        person_id=person.id,
        starts_at=starts.astimezone(UTC),
        ends_at=ends.astimezone(UTC),
    )
    session.add(shift)
    await session.flush()
    shift.person = person
    await record_audit(
        session,
        "shifts.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="shift",
        target_id=shift.id,
        details={"person_id": person.id},
    )
    return shift


async def claim_ended_shifts(session: AsyncSession, now: datetime) -> list[Shift]:
    """Shifts that ended (within a day) and whose hand-over was not asked for yet."""
    ended = (
        await session.scalars(
            select(Shift).where(
                Shift.asked_at.is_(None), Shift.ends_at <= now, Shift.ends_at > now - LOOKBACK
            )
        )
    ).all()
    claimed = []
    for shift in ended:
        stamped = await session.execute(
            update(Shift)
            .where(Shift.id == shift.id, Shift.asked_at.is_(None))
            .values(asked_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(stamped, "rowcount", 0) == 1:
            await session.refresh(shift, ["person"])
            claimed.append(shift)
    return claimed


async def staff_community(session: AsyncSession, person_id: int) -> Community | None:
    """The community the person is active staff of (the first, when several)."""
    return await session.scalar(
        select(Community)
        .join(Staff, Staff.community_id == Community.id)
        .where(Staff.person_id == person_id, Staff.active.is_(True))
        .order_by(Community.id)
        .limit(1)
    )


@dataclass(frozen=True)
class HandoverText:
    open_matters: str
    keys: str
    incidents: str
    patrol_notes: str


async def submit_handover(
    session: AsyncSession,
    community: Community,
    *,
    person_id: int,
    text: HandoverText,
    now: datetime,
) -> Handover:
    """The hand-over, linked to the person's latest shift that has ended."""
    shift_id = await session.scalar(
        select(Shift.id)
        .where(
            Shift.person_id == person_id,
            Shift.community_id == community.id,
            Shift.starts_at <= now,
        )
        .order_by(Shift.ends_at.desc())
        .limit(1)
    )
    row = Handover(
        community_id=community.id,
        shift_id=shift_id,
        from_person_id=person_id,
        open_matters=text.open_matters[:MAX_FIELD],
        keys=text.keys[:MAX_FIELD],
        incidents=text.incidents[:MAX_FIELD],
        patrol_notes=text.patrol_notes[:MAX_FIELD],
        submitted_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def acknowledge(
    session: AsyncSession, handover_id: int, community_id: int, *, person_id: int, now: datetime
) -> Handover:
    row = await session.get(Handover, handover_id)
    if row is None or row.community_id != community_id:
        raise ShiftError("unknown_handover")
    if row.from_person_id == person_id:
        raise ShiftError("own_handover")
    done = await session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_person_id=person_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise ShiftError("already_acknowledged")
    await session.refresh(row)
    return row


async def claim_unacknowledged(session: AsyncSession, now: datetime) -> list[Handover]:
    """Hand-overs left unacknowledged for :data:`ACK_MINUTES`, each claimed once."""
    due = (
        await session.scalars(
            select(Handover).where(
                Handover.acknowledged_at.is_(None),
                Handover.alerted_at.is_(None),
                Handover.submitted_at <= now - timedelta(minutes=ACK_MINUTES),
            )
        )
    ).all()
    claimed = []
    for row in due:
        stamped = await session.execute(
            update(Handover)
            .where(Handover.id == row.id, Handover.alerted_at.is_(None))
            .values(alerted_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(stamped, "rowcount", 0) == 1:
            claimed.append(row)
    return claimed


async def handovers_on(session: AsyncSession, community: Community, day: date) -> list[Handover]:
    zone = ZoneInfo(community.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = start + timedelta(days=1)
    return list(
        (
            await session.scalars(
                select(Handover)
                .where(
                    Handover.community_id == community.id,
                    Handover.submitted_at >= start,
                    Handover.submitted_at < end,
                )
                .order_by(Handover.submitted_at)
            )
        ).all()
    )
