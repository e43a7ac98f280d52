"""Community events, the lists: the staff's attendee list and message to the
attendees, the reminders the day before, the waitlisted let in (to be told),
a person's own sign-ups (/privacy). The rules of signing up are in
:mod:`core.community.events`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.event_models import Event, EventSignup, SignupStatus
from core.community.events import ACTIVE, REMIND_BEFORE, EventError
from core.community.models import NoticeKind
from core.community.notices import NoticeDraft, NoticeError, create_notice
from core.models import Person
from core.sends import SendClaim


async def community_events(session: AsyncSession, community_id: int, limit: int = 8) -> list[Event]:
    rows = await session.scalars(
        select(Event)
        .where(Event.community_id == community_id)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True)
class Attendee:
    name: str
    seats: int
    waitlisted: bool


async def attendees(
    session: AsyncSession, event_id: int, page: int, per_page: int
) -> tuple[list[Attendee], int]:
    """One page of the sign-ups (places first, then the waitlist in order); how many."""
    active = (EventSignup.event_id == event_id) & EventSignup.status.in_(ACTIVE)
    total = await session.scalar(select(func.count()).select_from(EventSignup).where(active))
    rows = await session.execute(
        select(Person.full_name, EventSignup.seats, EventSignup.status)
        .select_from(EventSignup)
        .outerjoin(Person, Person.id == EventSignup.person_id)
        .where(active)
        .order_by(
            (EventSignup.status == SignupStatus.WAITLIST), EventSignup.queued_at, EventSignup.id
        )
        .offset(page * per_page)
        .limit(per_page)
    )
    found = [
        Attendee(name or "", seats, status == SignupStatus.WAITLIST)
        for name, seats, status in rows.all()
    ]
    return found, int(total or 0)


async def going_signups(session: AsyncSession, event_id: int) -> list[tuple[int, int]]:
    """(person id, people) of everyone with a place."""
    rows = await session.execute(
        select(EventSignup.person_id, EventSignup.seats)
        .where(
            EventSignup.event_id == event_id,
            EventSignup.status == SignupStatus.GOING,
            EventSignup.person_id.is_not(None),
        )
        .order_by(EventSignup.id)
    )
    return [(int(p), int(n)) for p, n in rows.all()]


async def going_people(session: AsyncSession, event_id: int) -> list[int]:
    return [p for p, _ in await going_signups(session, event_id)]


async def message_attendees(
    session: AsyncSession,
    *,
    event: Event,
    text: str,
    author_person_id: int | None,
    now: datetime,
    today: date,
) -> tuple[int, int]:
    """A notice to the people with a place (through the notice delivery, which
    reports delivered and failed to staff); its id and how many it goes to."""
    people = dict.fromkeys(await going_people(session, event.id))
    if not people:
        raise EventError("no_attendees")
    draft = NoticeDraft(
        kind=NoticeKind.GENERAL, audience=event.audience, title=event.title, body=text
    )
    try:
        notice, count = await create_notice(
            session,
            community_id=event.community_id,
            author_person_id=author_person_id,
            draft=draft,
            send_at=now,
            now=now,
            today=today,
            people=people,
        )
    except NoticeError as exc:
        raise EventError(exc.code) from exc
    return notice.id, count


async def due_reminders(session: AsyncSession, now: datetime) -> list[Event]:
    rows = await session.scalars(
        select(Event).where(
            Event.reminded_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + REMIND_BEFORE,
        )
    )
    return list(rows)


def reminder_key(event_id: int, person_id: int) -> str:
    return f"events.reminder:{event_id}:{person_id}"


def promotion_key(signup: EventSignup) -> str:
    assert signup.promoted_at is not None
    return f"events.promoted:{signup.id}:{signup.promoted_at:%Y%m%d%H%M%S}"


async def mark_reminded(session: AsyncSession, event_id: int, now: datetime) -> None:
    await session.execute(update(Event).where(Event.id == event_id).values(reminded_at=now))


async def untold_promotions(
    session: AsyncSession, now: datetime
) -> list[tuple[EventSignup, Event]]:
    """Sign-ups let in from the waitlist, for events yet to start, whose message
    has not been claimed yet (:mod:`core.sends`)."""
    rows = await _recent_promotions(session, now)
    keys = [promotion_key(s) for s, _ in rows]
    claimed = set(await session.scalars(select(SendClaim.key).where(SendClaim.key.in_(keys))))
    return [(s, e) for s, e in rows if promotion_key(s) not in claimed]


async def _recent_promotions(
    session: AsyncSession, now: datetime
) -> list[tuple[EventSignup, Event]]:
    rows = await session.execute(
        select(EventSignup, Event)
        .join(Event, Event.id == EventSignup.event_id)
        .where(
            EventSignup.status == SignupStatus.GOING,
            EventSignup.promoted_at.is_not(None),
            EventSignup.promoted_at >= now - timedelta(days=2),
            EventSignup.person_id.is_not(None),
            Event.starts_at > now,
        )
    )
    return [(s, e) for s, e in rows.all()]


async def personal_events(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Event.title, Event.starts_at, EventSignup.seats, EventSignup.status)
        .join(Event, Event.id == EventSignup.event_id)
        .where(EventSignup.person_id == person_id)
        .order_by(Event.starts_at)
    )
    return [
        {"event": t, "starts_at": s.isoformat(), "people": n, "status": str(st)}
        for t, s, n, st in rows.all()
    ]


async def event_of_notice(session: AsyncSession, notice: Any) -> Event | None:
    """The event a notice announces."""
    return await session.scalar(select(Event).where(Event.notice_id == notice.id))
