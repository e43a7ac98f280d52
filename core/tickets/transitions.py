"""Ticket state changes: take, assign, on site, resolve, reject, confirm, rate,
reopen, cancel, auto-close. Each appends a :class:`TicketEvent` and updates the
ticket's deadlines in the same transaction; a concurrent change of the same ticket
raises :class:`~core.tickets.common.TicketChanged`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.models import (
    Community,
    Staff,
)
from core.tickets.common import (
    ASSIGNABLE_ROLES,
    MAX_REASON,
    AlreadyTaken,
    InvalidTicketData,
    InvalidTransition,
    NotAssignable,
    NotReporter,
    clean_text,
    record_event,
    save_ticket,
    with_details,
)
from core.tickets.deadlines import (
    TicketSettings,
    meet_deadlines,
    new_deadline_row,
    plan_deadline,
    ticket_settings,
    void_deadlines,
)
from core.tickets.models import (
    OPEN_STATUSES,
    DeadlineKind,
    Ticket,
    TicketEventType,
    TicketStatus,
)


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
    record_event(ticket, TicketEventType.TAKEN, now, actor_person_id, assignee=actor_person_id)
    return await save_ticket(session, ticket, now)


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
    record_event(
        ticket, TicketEventType.ASSIGNED, now, actor_person_id, assignee=assignee_person_id
    )
    return await save_ticket(session, ticket, now)


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
    record_event(ticket, TicketEventType.ON_SITE, now, actor_person_id)
    return await save_ticket(session, ticket, now)


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
    record_event(ticket, TicketEventType.RESOLVED, now, actor_person_id)
    return await save_ticket(session, ticket, now)


async def reject(
    session: AsyncSession,
    clock: Clock,
    ticket: Ticket,
    actor_person_id: int,
    reason: str,
) -> Ticket:
    now = clock.now()
    reason = clean_text(reason, MAX_REASON, "reason", required=True)
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
    record_event(ticket, TicketEventType.REJECTED, now, actor_person_id, reason=reason)
    return await save_ticket(session, ticket, now)


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
    ticket.rating_comment = clean_text(comment, MAX_REASON, "comment", required=False)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    record_event(ticket, TicketEventType.CONFIRMED, now, reporter_person_id, rating=rating)
    return await save_ticket(session, ticket, now)


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
    ticket.rating_comment = clean_text(comment, MAX_REASON, "comment", required=True)
    return await save_ticket(session, ticket, now)


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
    reason = clean_text(reason, MAX_REASON, "reason", required=True)
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
    record_event(ticket, TicketEventType.REOPENED, now, reporter_person_id, reason=reason)
    return await save_ticket(session, ticket, now)


async def cancel(
    session: AsyncSession, clock: Clock, ticket: Ticket, reporter_person_id: int
) -> Ticket:
    now = clock.now()
    _require_reporter(ticket, reporter_person_id)
    _require(ticket, list(OPEN_STATUSES), "cancel")
    ticket.status = TicketStatus.CANCELLED
    ticket.closed_at = now
    void_deadlines(ticket, None, now)
    record_event(ticket, TicketEventType.CANCELLED, now, reporter_person_id)
    return await save_ticket(session, ticket, now)


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
            .options(*with_details())
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
    record_event(ticket, TicketEventType.AUTO_CLOSED, now, None)
    return await save_ticket(session, ticket, now)
