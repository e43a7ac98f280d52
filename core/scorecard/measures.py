"""The scorecard's measures that read other areas' records.

- Urgent repairs on site in time and done in time: repair tickets filed urgent
  or emergency in the period, their ``on_site`` and ``resolve`` deadlines met of
  decided (:func:`core.tickets.reports.deadline_outcome`). The windows are the
  community's ticket policy — by default the source documents' 10 minutes on
  site and half a day (4 working hours) to finish — and shown with the figure.
- Complaints resolved: tickets of kind ``complaint`` (the tickets area's own
  kind, filed by residents) filed in the period, cancelled ones left out; resolved
  means the office said done (``resolved``) or the resident confirmed it
  (``closed``). A rejected complaint counts as not resolved.
- Accounts published on schedule: the community's accounts go to every resident
  each half-year, within :data:`core.fees.statement_runs.PUBLISH_WITHIN_DAYS` days
  of its end (the fees area's schedule). The measure is the latest half-year whose
  publication had begun by the period's last day: published on time, late, not
  published (its deadline passed), or not due yet. A community without fee items
  has no accounts to measure (None).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.fees.chat_models import FeeStatement
from core.fees.models import FeeItem
from core.fees.statement import half_year_bounds
from core.fees.statement_runs import PUBLISH_WITHIN_DAYS
from core.models import Community
from core.tickets.deadlines import ticket_settings
from core.tickets.models import DeadlineKind, Ticket, TicketKind, TicketStatus, Urgency
from core.tickets.reports import DeadlineShare, deadline_outcome

RESOLVED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass(frozen=True)
class Complaints:
    filed: int
    resolved: int

    @property
    def pct(self) -> float | None:
        return 100.0 * self.resolved / self.filed if self.filed else None


async def complaints(
    session: AsyncSession, community: Community, start: datetime, end: datetime
) -> Complaints:
    rows = (
        await session.scalars(
            select(Ticket.status).where(
                Ticket.community_id == community.id,
                Ticket.kind == TicketKind.COMPLAINT,
                Ticket.created_at >= start,
                Ticket.created_at < end,
                Ticket.status != TicketStatus.CANCELLED,
            )
        )
    ).all()
    return Complaints(len(rows), sum(1 for status in rows if status in RESOLVED))


URGENT = (Urgency.URGENT, Urgency.EMERGENCY)


@dataclass(frozen=True)
class UrgentRepairs:
    on_site: DeadlineShare
    done: DeadlineShare
    on_site_window: timedelta | None  # the policy's, None: no such deadline
    done_window: timedelta | None


async def urgent_repairs(
    session: AsyncSession, community: Community, start: datetime, end: datetime, now: datetime
) -> UrgentRepairs:
    tickets = (
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.community_id == community.id,
                Ticket.kind == TicketKind.REPAIR,
                Ticket.urgency.in_(URGENT),
                Ticket.created_at >= start,
                Ticket.created_at < end,
            )
            .options(selectinload(Ticket.deadlines))
        )
    ).all()
    counts = {DeadlineKind.ON_SITE: [0, 0], DeadlineKind.RESOLVE: [0, 0]}
    for ticket in tickets:
        for deadline in ticket.deadlines:
            outcome = deadline_outcome(deadline, now)
            if deadline.kind in counts and outcome is not None:
                counts[deadline.kind][0] += int(outcome)
                counts[deadline.kind][1] += 1
    windows = ticket_settings(community).windows(TicketKind.REPAIR, Urgency.URGENT)
    return UrgentRepairs(
        on_site=DeadlineShare(*counts[DeadlineKind.ON_SITE]),
        done=DeadlineShare(*counts[DeadlineKind.RESOLVE]),
        on_site_window=windows.get(DeadlineKind.ON_SITE),
        done_window=windows.get(DeadlineKind.RESOLVE),
    )


class AccountsState(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NOT_DUE = "not_due"


@dataclass(frozen=True)
class AccountsOnSchedule:
    period_start: date
    period_end: date  # exclusive
    due_by: date  # the last day of the publication window
    published_on: date | None
    state: AccountsState


async def accounts_on_schedule(
    session: AsyncSession, community: Community, last_day: date, today: date
) -> AccountsOnSchedule | None:
    has_fees = await session.scalar(
        select(func.count())
        .select_from(FeeItem)
        .where(FeeItem.community_id == community.id, FeeItem.active.is_(True))
    )
    if not has_fees:
        return None
    start, end = half_year_bounds(last_day, previous=True)
    due_by = end + timedelta(days=PUBLISH_WITHIN_DAYS - 1)
    first = await session.scalar(
        select(func.min(FeeStatement.created_at)).where(
            FeeStatement.community_id == community.id,
            FeeStatement.period_start == start,
            FeeStatement.period_end == end,
        )
    )
    published_on = _aware(first).astimezone(ZoneInfo(community.timezone)).date() if first else None
    if published_on is not None:
        state = AccountsState.ON_TIME if published_on <= due_by else AccountsState.LATE
    elif min(last_day, today) > due_by:
        state = AccountsState.MISSING
    else:
        state = AccountsState.NOT_DUE
    return AccountsOnSchedule(start, end, due_by, published_on, state)


def _aware(value: datetime) -> datetime:
    # SQLite gives naive UTC datetimes back from an aggregate.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
