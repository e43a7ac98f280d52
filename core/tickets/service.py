"""Ticket state changes: file, take, assign, on site, resolve, reject, confirm,
reopen, cancel, auto-close; relay bookkeeping; the filing draft's media.

Every function works in the caller's session and transaction (the handler's,
or a job's) and raises a :class:`TicketError` subclass with a ``code`` when
the action is not allowed; user text is the handlers' business. Each change
appends a :class:`TicketEvent` and updates the ticket's deadlines in the same
transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from core.clock import Clock
from core.models import (
    Building,
    Community,
    Person,
    Residency,
    ResidencyStatus,
    Staff,
    StaffRole,
    Unit,
)
from core.privacy import export_time
from core.tickets.deadlines import (
    TicketSettings,
    meet_deadlines,
    new_deadline_row,
    plan_deadline,
    plan_deadlines,
    ticket_settings,
    void_deadlines,
)
from core.tickets.models import (
    OPEN_STATUSES,
    DeadlineKind,
    HazardType,
    LinkRole,
    RepairCategory,
    Ticket,
    TicketCounter,
    TicketDeadline,
    TicketDraftMedia,
    TicketEvent,
    TicketEventType,
    TicketKind,
    TicketMessageLink,
    TicketStatus,
    Urgency,
)

MAX_PHOTOS = 5
MAX_VIDEOS = 1
MAX_DESCRIPTION = 2000
MAX_LOCATION_TEXT = 255
MAX_REASON = 1000
# Staff who can be assigned a ticket (accountants answer fee questions elsewhere).
ASSIGNABLE_ROLES = (StaffRole.MANAGER, StaffRole.TECHNICIAN, StaffRole.GUARD)


# ---------------------------------------------------------------------- errors


class TicketError(Exception):
    code = "ticket_error"


class TicketNotFound(TicketError):
    code = "not_found"


class DailyLimitReached(TicketError):
    code = "daily_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(f"daily limit of {limit} tickets reached")
        self.limit = limit


class InvalidTransition(TicketError):
    """The ticket is not in a status that allows this action."""

    code = "invalid_transition"

    def __init__(self, status: TicketStatus, action: str) -> None:
        super().__init__(f"cannot {action} a ticket that is {status.value}")
        self.status = status
        self.action = action


class AlreadyTaken(TicketError):
    code = "already_taken"

    def __init__(self, assignee_person_id: int | None) -> None:
        super().__init__("ticket already taken")
        self.assignee_person_id = assignee_person_id


class NotReporter(TicketError):
    code = "not_reporter"


class NotResident(TicketError):
    code = "not_resident"


class NotAssignable(TicketError):
    code = "not_assignable"


class InvalidTicketData(TicketError):
    code = "invalid_data"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TicketChanged(TicketError):
    """Someone else changed the ticket at the same moment; look again and retry."""

    code = "conflict"


# ------------------------------------------------------------------- lookups


def _with_details() -> list[Any]:
    return [selectinload(Ticket.deadlines), selectinload(Ticket.events)]


async def get_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.id == ticket_id).options(*_with_details())
    )
    if ticket is None:
        raise TicketNotFound(str(ticket_id))
    return ticket


async def find_ticket_by_number(
    session: AsyncSession, community_id: int, number: int
) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.community_id == community_id, Ticket.number == number)
        .options(*_with_details())
    )


async def find_ticket_by_topic(session: AsyncSession, chat_id: int, topic_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.admin_chat_id == chat_id, Ticket.topic_id == topic_id)
        .order_by(Ticket.id.desc())
        .limit(1)
        .options(*_with_details())
    )


async def find_ticket_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Ticket | None:
    ticket_id = await session.scalar(
        select(TicketMessageLink.ticket_id).where(
            TicketMessageLink.chat_id == chat_id, TicketMessageLink.message_id == message_id
        )
    )
    if ticket_id is None:
        return None
    return await get_ticket(session, ticket_id)


async def tickets_of_reporter(
    session: AsyncSession, person_id: int, *, limit: int = 10
) -> list[Ticket]:
    """The person's tickets, those still needing something first, newest first."""
    rows = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.reporter_person_id == person_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(50)
            .options(*_with_details())
        )
    ).all()
    active = [t for t in rows if not t.is_final]
    done = [t for t in rows if t.is_final]
    return (active + done)[:limit]


async def open_tickets(session: AsyncSession, community_id: int) -> list[Ticket]:
    return list(
        (
            await session.scalars(
                select(Ticket)
                .where(
                    Ticket.community_id == community_id,
                    Ticket.status.in_(list(OPEN_STATUSES)),
                )
                .order_by(Ticket.number)
                .options(*_with_details())
            )
        ).all()
    )


async def overdue_tickets(
    session: AsyncSession, community_id: int, now: datetime
) -> list[tuple[Ticket, list[TicketDeadline]]]:
    """Open tickets with at least one passed, unmet deadline, most overdue first."""
    result = []
    for ticket in await open_tickets(session, community_id):
        late = [d for d in ticket.deadlines if d.is_pending and d.due_at <= now]
        if late:
            result.append((ticket, sorted(late, key=lambda d: d.due_at)))
    result.sort(key=lambda pair: pair[1][0].due_at)
    return result


async def assignable_staff(session: AsyncSession, community_id: int) -> list[tuple[Person, Staff]]:
    rows = (
        await session.execute(
            select(Person, Staff)
            .join(Staff, Staff.person_id == Person.id)
            .where(
                Staff.community_id == community_id,
                Staff.active.is_(True),
                Staff.role.in_(list(ASSIGNABLE_ROLES)),
            )
            .order_by(Staff.role, Person.full_name, Person.id)
        )
    ).all()
    return [(p, s) for p, s in rows]


async def managers(session: AsyncSession, community_id: int) -> list[Person]:
    return list(
        (
            await session.scalars(
                select(Person)
                .join(Staff, Staff.person_id == Person.id)
                .where(
                    Staff.community_id == community_id,
                    Staff.active.is_(True),
                    Staff.role == StaffRole.MANAGER,
                )
                .order_by(Person.id)
            )
        ).all()
    )


async def tickets_to_publish(session: AsyncSession, *, limit: int = 20) -> list[Ticket]:
    """Tickets not yet posted to their community's admin group (the group was not
    bound yet, or Telegram failed); the publisher job retries them."""
    return list(
        (
            await session.scalars(
                select(Ticket)
                .join(Community, Community.id == Ticket.community_id)
                .where(
                    Ticket.card_message_id.is_(None),
                    Community.admin_chat_id.is_not(None),
                    Ticket.status.not_in([TicketStatus.CANCELLED]),
                )
                .order_by(Ticket.id)
                .limit(limit)
                .options(*_with_details())
            )
        ).all()
    )


# ------------------------------------------------------------------- filing


def local_day_start(now: datetime, tz: str) -> datetime:
    """Midnight of ``now``'s day in the community's time zone, as an aware datetime."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


async def filed_today(
    session: AsyncSession, community: Community, person_id: int, now: datetime
) -> int:
    count = await session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.community_id == community.id,
            Ticket.reporter_person_id == person_id,
            Ticket.created_at >= local_day_start(now, community.timezone),
        )
    )
    return int(count or 0)


async def check_daily_limit(
    session: AsyncSession, clock: Clock, community: Community, person_id: int
) -> None:
    """Raise :class:`DailyLimitReached` when the person has filed today's maximum."""
    limit = ticket_settings(community).daily_limit
    if await filed_today(session, community, person_id, clock.now()) >= limit:
        raise DailyLimitReached(limit)


async def resident_units(
    session: AsyncSession, person_id: int, community_id: int | None = None
) -> list[Unit]:
    query = (
        select(Unit)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(Residency.person_id == person_id, Residency.status == ResidencyStatus.ACTIVE)
        .options(selectinload(Unit.building))
        .order_by(Unit.id)
    )
    if community_id is not None:
        query = query.where(Unit.community_id == community_id)
    return list((await session.scalars(query)).unique().all())


def insert_for(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def _next_number(session: AsyncSession, community_id: int) -> int:
    """The next ticket number of the community.

    The UPDATE takes the counter row's lock until commit, so concurrent filings
    in one community are numbered (and their daily limits counted) one at a time.
    """
    insert = insert_for(session)
    await session.execute(
        insert(TicketCounter)
        .values(community_id=community_id, last_number=0)
        .on_conflict_do_nothing(index_elements=[TicketCounter.community_id])
    )
    number = await session.scalar(
        update(TicketCounter)
        .where(TicketCounter.community_id == community_id)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    )
    assert number is not None
    return int(number)


@dataclass(frozen=True)
class MediaItem:
    type: str  # "photo" | "video"
    file_id: str
    file_unique_id: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "file_id": self.file_id, "file_unique_id": self.file_unique_id}


def validate_media(media: Sequence[MediaItem]) -> None:
    photos = sum(1 for m in media if m.type == "photo")
    videos = sum(1 for m in media if m.type == "video")
    if photos + videos != len(media):
        raise InvalidTicketData("media", "only photos and videos")
    if videos and photos:
        raise InvalidTicketData("media", "photos or a video, not both")
    if photos > MAX_PHOTOS or videos > MAX_VIDEOS:
        raise InvalidTicketData("media", "too many")


def _clean(value: str, limit: int, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidTicketData(field, "required")
    if len(value) > limit:
        raise InvalidTicketData(field, "too long")
    return value


def _event(
    ticket: Ticket,
    kind: TicketEventType,
    at: datetime,
    actor_person_id: int | None,
    **details: Any,
) -> None:
    ticket.events.append(
        TicketEvent(
            type=kind,
            at=at,
            actor_person_id=actor_person_id,
            status=ticket.status,
            details=details,
        )
    )


async def file_ticket(
    session: AsyncSession,
    clock: Clock,
    *,
    community: Community,
    reporter_person_id: int,
    kind: TicketKind,
    description: str,
    urgency: Urgency = Urgency.NORMAL,
    category: RepairCategory | None = None,
    hazard: HazardType | None = None,
    unit_id: int | None = None,
    location_text: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    media: Sequence[MediaItem] = (),
) -> Ticket:
    """File a ticket for an active resident of ``community`` and plan its deadlines."""
    now = clock.now()
    description = _clean(description, MAX_DESCRIPTION, "description", required=True)
    location_text = _clean(location_text, MAX_LOCATION_TEXT, "location", required=False)
    if kind == TicketKind.REPAIR and category is None:
        raise InvalidTicketData("category", "required for repairs")
    if kind != TicketKind.REPAIR:
        category = None
    if kind == TicketKind.HAZARD and hazard is None:
        raise InvalidTicketData("hazard", "required for hazard reports")
    if kind != TicketKind.HAZARD:
        hazard = None
    if (latitude is None) != (longitude is None):
        raise InvalidTicketData("location", "latitude and longitude go together")
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise InvalidTicketData("location", "coordinates out of range")
    validate_media(media)

    units = await resident_units(session, reporter_person_id, community.id)
    if not units:
        raise NotResident()
    if unit_id is not None:
        if unit_id not in {u.id for u in units}:
            raise NotResident()
    elif kind in (TicketKind.REPAIR, TicketKind.HAZARD) and not (
        location_text or latitude is not None
    ):
        raise InvalidTicketData("location", "a unit or a common-area location is required")

    settings = ticket_settings(community)
    # Checked before numbering (no number is burnt on a refusal) and again once
    # the counter row is locked (two filings at the same moment).
    if await filed_today(session, community, reporter_person_id, now) >= settings.daily_limit:
        raise DailyLimitReached(settings.daily_limit)
    number = await _next_number(session, community.id)
    if await filed_today(session, community, reporter_person_id, now) >= settings.daily_limit:
        raise DailyLimitReached(settings.daily_limit)

    ticket = Ticket(
        community_id=community.id,
        number=number,
        kind=kind,
        category=category,
        hazard=hazard,
        unit_id=unit_id,
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        description=description,
        urgency=urgency,
        status=TicketStatus.NEW,
        media=[m.as_dict() for m in media],
        reporter_person_id=reporter_person_id,
        created_at=now,
        updated_at=now,
        deadlines=[new_deadline_row(p) for p in plan_deadlines(settings, kind, urgency, now)],
        events=[],
    )
    _event(ticket, TicketEventType.FILED, now, reporter_person_id)
    session.add(ticket)
    await session.flush()
    return ticket


# --------------------------------------------------------------- transitions


async def _save(session: AsyncSession, ticket: Ticket, now: datetime) -> Ticket:
    ticket.updated_at = now
    try:
        await session.flush()
    except StaleDataError as exc:
        raise TicketChanged() from exc
    return ticket


def _require(ticket: Ticket, allowed: Sequence[TicketStatus], action: str) -> None:
    if ticket.status not in allowed:
        raise InvalidTransition(ticket.status, action)


def _acknowledge(ticket: Ticket, now: datetime) -> None:
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    meet_deadlines(ticket, [DeadlineKind.ACKNOWLEDGE], now)


async def _ensure_assignable(session: AsyncSession, ticket: Ticket, person_id: int) -> None:
    staff = await session.scalar(
        select(Staff).where(
            Staff.person_id == person_id,
            Staff.community_id == ticket.community_id,
            Staff.active.is_(True),
            Staff.role.in_(list(ASSIGNABLE_ROLES)),
        )
    )
    if staff is None:
        raise NotAssignable()


async def take(session: AsyncSession, clock: Clock, ticket: Ticket, actor_person_id: int) -> Ticket:
    """A staff member takes a new ticket; it is theirs from now on."""
    now = clock.now()
    if ticket.status == TicketStatus.TAKEN and ticket.assignee_person_id is not None:
        raise AlreadyTaken(ticket.assignee_person_id)
    _require(ticket, [TicketStatus.NEW, TicketStatus.TAKEN], "take")
    await _ensure_assignable(session, ticket, actor_person_id)
    ticket.status = TicketStatus.TAKEN
    ticket.assignee_person_id = actor_person_id
    _acknowledge(ticket, now)
    _event(ticket, TicketEventType.TAKEN, now, actor_person_id, assignee=actor_person_id)
    return await _save(session, ticket, now)


async def assign(
    session: AsyncSession,
    clock: Clock,
    ticket: Ticket,
    assignee_person_id: int,
    actor_person_id: int,
) -> Ticket:
    now = clock.now()
    _require(ticket, list(OPEN_STATUSES), "assign")
    await _ensure_assignable(session, ticket, assignee_person_id)
    ticket.assignee_person_id = assignee_person_id
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.TAKEN
    _acknowledge(ticket, now)
    _event(ticket, TicketEventType.ASSIGNED, now, actor_person_id, assignee=assignee_person_id)
    return await _save(session, ticket, now)


async def mark_on_site(
    session: AsyncSession, clock: Clock, ticket: Ticket, actor_person_id: int
) -> Ticket:
    now = clock.now()
    _require(ticket, [TicketStatus.NEW, TicketStatus.TAKEN], "mark on site")
    if ticket.assignee_person_id is None:
        await _ensure_assignable(session, ticket, actor_person_id)
        ticket.assignee_person_id = actor_person_id
    ticket.status = TicketStatus.ON_SITE
    ticket.on_site_at = now
    _acknowledge(ticket, now)
    meet_deadlines(ticket, [DeadlineKind.ON_SITE], now)
    _event(ticket, TicketEventType.ON_SITE, now, actor_person_id)
    return await _save(session, ticket, now)


async def resolve(
    session: AsyncSession, clock: Clock, ticket: Ticket, actor_person_id: int
) -> Ticket:
    """Staff say the work is done; the resident is asked to confirm."""
    now = clock.now()
    _require(ticket, list(OPEN_STATUSES), "resolve")
    if ticket.assignee_person_id is None:
        ticket.assignee_person_id = actor_person_id
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    _acknowledge(ticket, now)
    # Whoever fixed it was there: an unmet on-site promise is settled now (late
    # if it is past due), which is what the statistics should show.
    meet_deadlines(
        ticket,
        [DeadlineKind.ON_SITE, DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLVE],
        now,
    )
    _event(ticket, TicketEventType.RESOLVED, now, actor_person_id)
    return await _save(session, ticket, now)


async def reject(
    session: AsyncSession,
    clock: Clock,
    ticket: Ticket,
    actor_person_id: int,
    reason: str,
) -> Ticket:
    now = clock.now()
    reason = _clean(reason, MAX_REASON, "reason", required=True)
    _require(ticket, list(OPEN_STATUSES), "reject")
    ticket.status = TicketStatus.REJECTED
    ticket.reject_reason = reason
    ticket.closed_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    # A reasoned "no" is an answer; the work promises no longer apply.
    _acknowledge(ticket, now)
    meet_deadlines(ticket, [DeadlineKind.FIRST_RESPONSE], now)
    void_deadlines(ticket, None, now)
    _event(ticket, TicketEventType.REJECTED, now, actor_person_id, reason=reason)
    return await _save(session, ticket, now)


def _require_reporter(ticket: Ticket, person_id: int) -> None:
    if ticket.reporter_person_id != person_id:
        raise NotReporter()


async def confirm(
    session: AsyncSession,
    clock: Clock,
    ticket: Ticket,
    reporter_person_id: int,
    rating: int,
    comment: str = "",
) -> Ticket:
    """The resident confirms the fix with a 1–5 rating (and maybe a comment)."""
    now = clock.now()
    _require_reporter(ticket, reporter_person_id)
    _require(ticket, [TicketStatus.RESOLVED], "confirm")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidTicketData("rating", "1 to 5")
    ticket.rating = rating
    ticket.rating_comment = _clean(comment, MAX_REASON, "comment", required=False)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    _event(ticket, TicketEventType.CONFIRMED, now, reporter_person_id, rating=rating)
    return await _save(session, ticket, now)


async def add_rating_comment(
    session: AsyncSession,
    clock: Clock,
    ticket: Ticket,
    reporter_person_id: int,
    comment: str,
) -> Ticket:
    """The optional comment after rating (a separate step of the conversation)."""
    now = clock.now()
    _require_reporter(ticket, reporter_person_id)
    if ticket.status != TicketStatus.CLOSED or ticket.rating is None:
        raise InvalidTransition(ticket.status, "comment")
    ticket.rating_comment = _clean(comment, MAX_REASON, "comment", required=True)
    return await _save(session, ticket, now)


async def reopen(
    session: AsyncSession,
    clock: Clock,
    ticket: Ticket,
    reporter_person_id: int,
    reason: str,
    community: Community,
) -> Ticket:
    """Not fixed: back to work, with a fresh "finished by" promise."""
    now = clock.now()
    _require_reporter(ticket, reporter_person_id)
    _require(ticket, [TicketStatus.RESOLVED], "reopen")
    reason = _clean(reason, MAX_REASON, "reason", required=True)
    ticket.status = TicketStatus.TAKEN if ticket.assignee_person_id else TicketStatus.NEW
    ticket.resolved_at = None
    ticket.reopen_count += 1
    settings: TicketSettings = ticket_settings(community)
    window = settings.windows(ticket.kind, ticket.urgency).get(DeadlineKind.RESOLVE)
    if window is not None:
        next_round = 1 + max(
            (d.round for d in ticket.deadlines if d.kind == DeadlineKind.RESOLVE), default=-1
        )
        ticket.deadlines.append(
            new_deadline_row(plan_deadline(settings, DeadlineKind.RESOLVE, window, now), next_round)
        )
    _event(ticket, TicketEventType.REOPENED, now, reporter_person_id, reason=reason)
    return await _save(session, ticket, now)


async def cancel(
    session: AsyncSession, clock: Clock, ticket: Ticket, reporter_person_id: int
) -> Ticket:
    now = clock.now()
    _require_reporter(ticket, reporter_person_id)
    _require(ticket, list(OPEN_STATUSES), "cancel")
    ticket.status = TicketStatus.CANCELLED
    ticket.closed_at = now
    void_deadlines(ticket, None, now)
    _event(ticket, TicketEventType.CANCELLED, now, reporter_person_id)
    return await _save(session, ticket, now)


async def record_staff_answer(
    session: AsyncSession, clock: Clock, ticket: Ticket, actor_person_id: int | None
) -> bool:
    """A staff message reached the resident; True when it was the first answer.

    Conditional UPDATEs rather than a versioned save: a chat message must never
    fail because someone pressed a button on the card at the same moment.
    """
    now = clock.now()
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.first_response_at.is_(None))
        .values(first_response_at=now)
        .execution_options(synchronize_session=False)
    )
    first = getattr(result, "rowcount", 0) == 1
    met = await session.execute(
        update(TicketDeadline)
        .where(
            TicketDeadline.ticket_id == ticket.id,
            TicketDeadline.kind == DeadlineKind.FIRST_RESPONSE,
            TicketDeadline.met_at.is_(None),
            TicketDeadline.voided_at.is_(None),
        )
        .values(met_at=now)
        .execution_options(synchronize_session=False)
    )
    if first or getattr(met, "rowcount", 0):
        await session.refresh(ticket, ["first_response_at", "deadlines"])
    return first


async def record_escalation(
    session: AsyncSession, clock: Clock, ticket: Ticket, deadline_kind: DeadlineKind
) -> None:
    now = clock.now()
    _event(ticket, TicketEventType.ESCALATED, now, None, deadline=deadline_kind.value)
    await _save(session, ticket, now)


async def auto_close_candidates(session: AsyncSession, clock: Clock) -> list[Ticket]:
    """Resolved tickets whose resident has not answered within the community's window."""
    now = clock.now()
    rows = (
        await session.execute(
            select(Ticket, Community)
            .join(Community, Community.id == Ticket.community_id)
            .where(
                Ticket.status == TicketStatus.RESOLVED,
                # The shortest possible window; the exact one is checked per community.
                Ticket.resolved_at <= now - timedelta(days=1),
            )
            .order_by(Ticket.id)
            .options(*_with_details())
        )
    ).all()
    due = []
    for ticket, community in rows:
        days = ticket_settings(community).auto_close_days
        if ticket.resolved_at is not None and ticket.resolved_at <= now - timedelta(days=days):
            due.append(ticket)
    return due


async def auto_close(session: AsyncSession, clock: Clock, ticket: Ticket) -> Ticket:
    now = clock.now()
    _require(ticket, [TicketStatus.RESOLVED], "auto-close")
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    _event(ticket, TicketEventType.AUTO_CLOSED, now, None)
    return await _save(session, ticket, now)


# ------------------------------------------------------------ admin-group posts


async def set_admin_placement(
    session: AsyncSession,
    ticket: Ticket,
    *,
    chat_id: int,
    topic_id: int | None,
    card_message_id: int,
) -> None:
    """Remember where the ticket's topic and card are (published once)."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(admin_chat_id=chat_id, topic_id=topic_id, card_message_id=card_message_id)
        .execution_options(synchronize_session=False)
    )
    ticket.admin_chat_id = chat_id
    ticket.topic_id = topic_id
    ticket.card_message_id = card_message_id
    await link_message(session, ticket.id, chat_id, card_message_id, LinkRole.CARD)


async def link_message(
    session: AsyncSession, ticket_id: int, chat_id: int, message_id: int, role: LinkRole
) -> None:
    """Remember that a chat message belongs to a ticket (idempotent)."""
    insert = insert_for(session)
    await session.execute(
        insert(TicketMessageLink)
        .values(ticket_id=ticket_id, chat_id=chat_id, message_id=message_id, role=role.value)
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )


# -------------------------------------------------------------- draft media


@dataclass(frozen=True)
class DraftMediaResult:
    accepted: bool
    duplicate: bool
    photos: int
    videos: int
    # The first item of an album that was accepted / refused: the one that answers,
    # so an album of five gets one reply instead of five.
    first_of_group: bool
    reason: str = ""  # "too_many_photos" | "too_many_videos" | "mixed"


def _lock_key(draft_key: str) -> int:
    digest = hashlib.blake2b(draft_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def add_draft_media(
    session: AsyncSession,
    clock: Clock,
    draft_key: str,
    *,
    kind: str,
    file_id: str,
    file_unique_id: str,
    media_group_id: str | None,
) -> DraftMediaResult:
    """Add one photo/video to a filing draft, enforcing "up to 5 photos or 1 video".

    Album items are handled concurrently; they are serialised per draft (an
    advisory lock on PostgreSQL, the database write lock on SQLite, taken by
    the INSERT before anything is counted), so the count is always exact.
    """
    if kind not in ("photo", "video"):
        raise InvalidTicketData("media", "only photos and videos")
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(draft_key)}
        )
    insert = insert_for(session)
    inserted = await session.scalar(
        insert(TicketDraftMedia)
        .values(
            draft_key=draft_key,
            kind=kind,
            file_id=file_id,
            file_unique_id=file_unique_id,
            media_group_id=media_group_id,
            accepted=False,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["draft_key", "file_unique_id"])
        .returning(TicketDraftMedia.id)
    )
    rows = (
        await session.execute(
            select(
                TicketDraftMedia.id,
                TicketDraftMedia.kind,
                TicketDraftMedia.accepted,
                TicketDraftMedia.media_group_id,
            ).where(TicketDraftMedia.draft_key == draft_key)
        )
    ).all()
    photos = sum(1 for r in rows if r.accepted and r.kind == "photo")
    videos = sum(1 for r in rows if r.accepted and r.kind == "video")
    if inserted is None:  # Telegram delivered the same update twice
        return DraftMediaResult(False, True, photos, videos, False)
    reason = ""
    if (kind == "photo" and videos) or (kind == "video" and photos):
        reason = "mixed"
    elif kind == "photo" and photos >= MAX_PHOTOS:
        reason = "too_many_photos"
    elif kind == "video" and videos >= MAX_VIDEOS:
        reason = "too_many_videos"
    accepted = not reason
    if accepted:
        await session.execute(
            update(TicketDraftMedia)
            .where(TicketDraftMedia.id == inserted)
            .values(accepted=True)
            .execution_options(synchronize_session=False)
        )
        if kind == "photo":
            photos += 1
        else:
            videos += 1
    first = True
    if media_group_id is not None:
        first = not any(
            r.id != inserted and r.media_group_id == media_group_id and bool(r.accepted) == accepted
            for r in rows
        )
    return DraftMediaResult(accepted, False, photos, videos, first, reason)


async def draft_media(session: AsyncSession, draft_key: str) -> list[MediaItem]:
    rows = (
        await session.scalars(
            select(TicketDraftMedia)
            .where(TicketDraftMedia.draft_key == draft_key, TicketDraftMedia.accepted.is_(True))
            .order_by(TicketDraftMedia.id)
        )
    ).all()
    return [MediaItem(r.kind, r.file_id, r.file_unique_id) for r in rows]


async def clear_draft_media(session: AsyncSession, draft_key: str) -> None:
    await session.execute(delete(TicketDraftMedia).where(TicketDraftMedia.draft_key == draft_key))


async def purge_stale_drafts(session: AsyncSession, clock: Clock, *, older_than: timedelta) -> int:
    result = await session.execute(
        delete(TicketDraftMedia).where(TicketDraftMedia.created_at < clock.now() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_draft_submission(session: AsyncSession, clock: Clock, draft_key: str) -> bool:
    """True for the first "Submit" of a draft; a double tap (handled concurrently)
    gets False, so one draft never becomes two tickets. The marker row shares the
    draft's unique constraint, which the database enforces across processes."""
    insert = insert_for(session)
    inserted = await session.scalar(
        insert(TicketDraftMedia)
        .values(
            draft_key=draft_key,
            kind="submitted",
            file_id="",
            file_unique_id="",
            media_group_id=None,
            accepted=False,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["draft_key", "file_unique_id"])
        .returning(TicketDraftMedia.id)
    )
    return inserted is not None


async def discard_draft_media(session: AsyncSession, draft_key: str) -> None:
    """Drop a filed draft's media rows, keeping its submission marker."""
    await session.execute(
        delete(TicketDraftMedia).where(
            TicketDraftMedia.draft_key == draft_key, TicketDraftMedia.kind != "submitted"
        )
    )


# ------------------------------------------------------- a person's own data


# The two sides of the conversation between the reporter and staff; of each relayed
# message a link is kept in the reporter's private chat (positive chat id) and one in
# the admin group (negative): the reporter's side counts each message once.
_CONVERSATION = {LinkRole.FROM_RESIDENT: "from_me", LinkRole.TO_RESIDENT: "to_me"}


async def personal_ticket_data(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    """The tickets ``person_id`` filed, for their /privacy export, oldest first.

    What they wrote (description, location, rating comment, reopen reasons), what
    happened and when, staff's answer when they rejected it, and the conversation
    with staff as it is stored: the time, direction and Telegram message id of
    each relayed message (the text stays in the chats, it is not kept here).
    Attachments are listed by kind and Telegram's ``file_unique_id``, never their
    bytes (nor the ``file_id`` that would fetch them). Who
    on the staff took or was assigned the ticket is not included: that is about
    them, not the reporter.
    """
    rows = (
        await session.execute(
            select(Ticket, Community.name, Building.name, Unit.number)
            .join(Community, Community.id == Ticket.community_id)
            .outerjoin(Unit, Unit.id == Ticket.unit_id)
            .outerjoin(Building, Building.id == Unit.building_id)
            .where(Ticket.reporter_person_id == person_id)
            .order_by(Ticket.created_at, Ticket.id)
            .options(selectinload(Ticket.events))
        )
    ).all()
    ids = [ticket.id for ticket, *_ in rows]
    messages: dict[int, list[dict[str, Any]]] = {}
    if ids:
        links = (
            await session.scalars(
                select(TicketMessageLink)
                .where(
                    TicketMessageLink.ticket_id.in_(ids),
                    TicketMessageLink.role.in_(list(_CONVERSATION)),
                    TicketMessageLink.chat_id > 0,
                )
                .order_by(TicketMessageLink.created_at, TicketMessageLink.id)
            )
        ).all()
        for link in links:
            messages.setdefault(link.ticket_id, []).append(
                {
                    "at": export_time(link.created_at),
                    "direction": _CONVERSATION[link.role],
                    "telegram_message_id": link.message_id,
                }
            )

    def by(actor: int | None) -> str:
        return "me" if actor == person_id else "staff" if actor is not None else "courtyard"

    def history(ticket: Ticket) -> list[dict[str, Any]]:
        shown = ("reason", "rating", "deadline")  # never "assignee": a staff member's id
        return [
            {
                "at": export_time(e.at),
                "event": e.type.value,
                "status": e.status.value,
                "by": by(e.actor_person_id),
                **{k: v for k, v in (e.details or {}).items() if k in shown},
            }
            for e in ticket.events
        ]

    return [
        {
            "community": community,
            "number": t.number,
            "kind": t.kind.value,
            "category": t.category.value if t.category else None,
            "hazard": t.hazard.value if t.hazard else None,
            "unit": f"{building}-{number}" if building else None,
            "location": t.location_text,
            "latitude": t.latitude,
            "longitude": t.longitude,
            "urgency": t.urgency.value,
            "status": t.status.value,
            "description": t.description,
            "attachments": [
                {"kind": m.get("type"), "telegram_file_unique_id": m.get("file_unique_id")}
                for m in t.media or []
            ],
            "reject_reason": t.reject_reason,
            "rating": t.rating,
            "rating_comment": t.rating_comment,
            "reopened": t.reopen_count,
            "created_at": export_time(t.created_at),
            "acknowledged_at": export_time(t.acknowledged_at),
            "first_response_at": export_time(t.first_response_at),
            "on_site_at": export_time(t.on_site_at),
            "resolved_at": export_time(t.resolved_at),
            "closed_at": export_time(t.closed_at),
            "history": history(t),
            "messages": messages.get(t.id, []),
        }
        for t, community, building, number in rows
    ]


async def erase_reporter_text(session: AsyncSession, person_id: int) -> None:
    """Erasure (/privacy): blank what the person wrote in their tickets.

    Tickets staff have finished with (resolved, closed, rejected, cancelled) lose
    the description, location, attachments, rating comment and the person's reopen
    reasons; kind, category, unit, status, times and the rating stay for the
    service statistics. Tickets still being worked on keep their text — staff need
    it to do the repair, and a hazard must not vanish because its reporter left.
    Every ticket loses its links to the person's private chat, so a reply from that
    chat (now a stranger's) no longer reaches a ticket.
    """
    telegram_id = await session.scalar(select(Person.telegram_id).where(Person.id == person_id))
    mine = select(Ticket.id).where(Ticket.reporter_person_id == person_id)
    done = mine.where(Ticket.status.not_in(list(OPEN_STATUSES)))
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(done))
        .values(
            description="",
            location_text="",
            latitude=None,
            longitude=None,
            media=[],
            rating_comment="",
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(TicketEvent)
        .where(
            TicketEvent.ticket_id.in_(done),
            TicketEvent.actor_person_id == person_id,
            TicketEvent.type == TicketEventType.REOPENED,
        )
        .values(details={})
        .execution_options(synchronize_session=False)
    )
    if telegram_id is not None:
        await session.execute(
            delete(TicketMessageLink).where(
                TicketMessageLink.ticket_id.in_(mine), TicketMessageLink.chat_id == telegram_id
            )
        )
