"""Community events: posting one (announced to its audience as a notice), signing
up with a number of people, the waitlist, cancelling, and what a resident sees
(the staff's lists and the jobs' queries: :mod:`.event_lists`).

Places are counted with the event row locked (SELECT … FOR UPDATE on PostgreSQL;
SQLite serialises writers), so two residents taking the last places at the same
moment never overfill the event: the second one is waitlisted. When places free
up, the waitlist is walked in the order people joined it and every group that
now fits gets its places (a smaller group may pass a larger one that does not
fit); they are told by the events job (:mod:`handlers.community.event_jobs`).
After the event's start, signing up and cancelling answer "closed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.community.event_models import Event, EventSignup, SignupStatus
from core.community.models import Audience, NoticeKind
from core.community.notices import (
    TITLE_MAX,
    NoticeDraft,
    NoticeError,
    audience_rows,
    body_limit,
    create_notice,
)
from core.models import Residency, Unit
from core.residency import active_residency_clause

PLACE_MAX = 100
CAPACITY_MAX = 1000
CAPTION_DESCRIPTION_MAX = 700
SEATS_MAX = 10  # people one resident signs up for
LATEST = timedelta(days=180)
REMIND_BEFORE = timedelta(hours=24)
ACTIVE = (SignupStatus.GOING, SignupStatus.WAITLIST)


class EventError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class EventDraft:
    title: str
    description: str
    place: str
    starts_at: datetime
    capacity: int
    audience: Audience = Audience.ALL
    building_ids: list[int] | None = None
    unit_ids: list[int] | None = None
    photo_file_id: str | None = None


def notice_draft(event: Event | EventDraft) -> NoticeDraft:
    """The event as a notice: its audience, and its announcement's words."""
    text = event.description
    return NoticeDraft(
        kind=NoticeKind.EVENT,
        audience=event.audience,
        title=event.title,
        body=text,
        building_ids=list(event.building_ids or []),
        unit_ids=list(event.unit_ids or []),
        attachment_kind="photo" if event.photo_file_id else None,
        attachment_file_id=event.photo_file_id,
        starts_at=event.starts_at,
    )


def description_limit(has_photo: bool) -> int:
    """A photo's caption holds 1024 characters: the title, time and place take
    up to 260 of them."""
    return CAPTION_DESCRIPTION_MAX if has_photo else body_limit(False)


def check_draft(draft: EventDraft, now: datetime) -> None:
    if not draft.title or len(draft.title) > TITLE_MAX:
        raise EventError("title_too_long")
    if not draft.place or len(draft.place) > PLACE_MAX:
        raise EventError("place_too_long")
    if len(draft.description) > description_limit(draft.photo_file_id is not None):
        raise EventError("description_too_long")
    if not 1 <= draft.capacity <= CAPACITY_MAX:
        raise EventError("bad_capacity")
    if not now < draft.starts_at <= now + LATEST:
        raise EventError("bad_time")


async def post_event(
    session: AsyncSession,
    *,
    community_id: int,
    author_person_id: int | None,
    draft: EventDraft,
    now: datetime,
    today: date,
) -> tuple[Event, int]:
    """The event and its announcement to every resident of its audience, in the
    caller's transaction; how many residents are told."""
    check_draft(draft, now)
    event = Event(
        community_id=community_id,
        author_person_id=author_person_id,
        title=draft.title,
        description=draft.description,
        place=draft.place,
        starts_at=draft.starts_at,
        capacity=draft.capacity,
        photo_file_id=draft.photo_file_id,
        audience=draft.audience,
        building_ids=list(draft.building_ids or []),
        unit_ids=list(draft.unit_ids or []),
        created_at=now,
    )
    session.add(event)
    await session.flush()
    try:
        notice, count = await create_notice(
            session,
            community_id=community_id,
            author_person_id=author_person_id,
            draft=notice_draft(draft),
            send_at=now,
            now=now,
            today=today,
        )
    except NoticeError as exc:
        raise EventError(exc.code) from exc
    event.notice_id = notice.id
    await record_audit(
        session,
        "events.post",
        community_id=community_id,
        actor_person_id=author_person_id,
        target_type="event",
        target_id=str(event.id),
        details={"capacity": draft.capacity, "recipients": count},
    )
    return event, count


async def audience_count(
    session: AsyncSession, community_id: int, draft: EventDraft, today: date
) -> int:
    return len(await audience_rows(session, community_id, notice_draft(draft), today))


async def find_event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def get_event(session: AsyncSession, event_id: int, *, lock: bool = False) -> Event:
    query = select(Event).where(Event.id == event_id)
    if lock:
        query = query.with_for_update()
    event = (await session.execute(query)).scalar_one_or_none()
    if event is None:
        raise EventError("not_found")
    return event


async def invited(session: AsyncSession, event: Event, person_id: int, today: date) -> bool:
    """Whether the person lives in the event's audience."""
    rows = await audience_rows(session, event.community_id, notice_draft(event), today, person_id)
    return bool(rows)


async def seats_taken(session: AsyncSession, event_id: int) -> int:
    value = await session.scalar(
        select(func.coalesce(func.sum(EventSignup.seats), 0)).where(
            EventSignup.event_id == event_id, EventSignup.status == SignupStatus.GOING
        )
    )
    return int(value or 0)


async def my_signup(session: AsyncSession, event_id: int, person_id: int) -> EventSignup | None:
    return await session.scalar(
        select(EventSignup).where(
            EventSignup.event_id == event_id,
            EventSignup.person_id == person_id,
            EventSignup.status.in_(ACTIVE),
        )
    )


async def waitlist_position(session: AsyncSession, signup: EventSignup) -> int:
    ahead = await session.scalar(
        select(func.count())
        .select_from(EventSignup)
        .where(
            EventSignup.event_id == signup.event_id,
            EventSignup.status == SignupStatus.WAITLIST,
            (EventSignup.queued_at < signup.queued_at)
            | ((EventSignup.queued_at == signup.queued_at) & (EventSignup.id < signup.id)),
        )
    )
    return int(ahead or 0) + 1


async def sign_up(
    session: AsyncSession, event_id: int, person_id: int, seats: int, now: datetime, today: date
) -> EventSignup:
    """A place for ``seats`` people, or a waitlist place when they do not fit."""
    event = await get_event(session, event_id, lock=True)
    if event.starts_at <= now:
        raise EventError("closed")
    if not 1 <= seats <= min(SEATS_MAX, event.capacity):
        raise EventError("bad_seats")
    if not await invited(session, event, person_id, today):
        raise EventError("not_invited")
    if await my_signup(session, event_id, person_id) is not None:
        raise EventError("already")
    fits = await seats_taken(session, event_id) + seats <= event.capacity
    status = SignupStatus.GOING if fits else SignupStatus.WAITLIST
    signup = await session.scalar(
        select(EventSignup).where(
            EventSignup.event_id == event_id, EventSignup.person_id == person_id
        )
    )
    if signup is None:
        signup = EventSignup(event_id=event_id, person_id=person_id, created_at=now)
        session.add(signup)
    signup.seats, signup.status, signup.queued_at, signup.promoted_at = seats, status, now, None
    await session.flush()
    return signup


async def cancel(
    session: AsyncSession, event_id: int, person_id: int, now: datetime
) -> list[EventSignup]:
    """Cancel the person's sign-up; the waitlisted sign-ups it let in."""
    event = await get_event(session, event_id, lock=True)
    if event.starts_at <= now:
        raise EventError("closed")
    signup = await my_signup(session, event_id, person_id)
    if signup is None:
        raise EventError("not_signed_up")
    freed = signup.status == SignupStatus.GOING
    signup.status = SignupStatus.CANCELLED
    await session.flush()
    return await _promote(session, event, now) if freed else []


async def _promote(session: AsyncSession, event: Event, now: datetime) -> list[EventSignup]:
    free = event.capacity - await seats_taken(session, event.id)
    waiting = await session.scalars(
        select(EventSignup)
        .where(EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITLIST)
        .order_by(EventSignup.queued_at, EventSignup.id)
    )
    promoted = []
    for signup in waiting.all():
        if signup.seats <= free:
            free -= signup.seats
            signup.status, signup.promoted_at = SignupStatus.GOING, now
            promoted.append(signup)
    await session.flush()
    return promoted


@dataclass(frozen=True)
class EventView:
    event: Event
    taken: int
    waiting: int
    mine: EventSignup | None = None


async def view(session: AsyncSession, event: Event, person_id: int | None = None) -> EventView:
    waiting = await session.scalar(
        select(func.count())
        .select_from(EventSignup)
        .where(EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITLIST)
    )
    mine = await my_signup(session, event.id, person_id) if person_id else None
    return EventView(event, await seats_taken(session, event.id), int(waiting or 0), mine)


async def upcoming_for(
    session: AsyncSession, person_id: int, now: datetime, today: date, limit: int = 8
) -> list[Event]:
    """Events yet to start in the person's communities whose audience includes them."""
    communities = (
        select(Unit.community_id)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(Residency.person_id == person_id, active_residency_clause(today))
    )
    events = await session.scalars(
        select(Event)
        .where(Event.community_id.in_(communities), Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(limit * 3)
    )
    shown = [e for e in events.all() if await invited(session, e, person_id, today)]
    return shown[:limit]
