"""The response-time policy and the scheduler's "is a notice due?" bookkeeping.

Defaults come from the renovation source document (``002_*.txt`` §11: "水、电、气
24小时报修值班,接到报修电话10分钟到场,急修半天内完成") and the issue:

- urgent and emergency repairs: acknowledged and someone on site within
  10 minutes, finished within half a day (4 working hours);
- normal repairs: taken within 4 working hours (09:00–18:00 local), finished
  within 3 days;
- complaints: a first answer within 24 hours, resolved within 7 days.

Hazard reports (blocked fire lane, objects thrown from height, garbage
mis-sorting, safety risks) are handled by the same staff on duty as repairs, so
they get the repair policy. Suggestions get a first answer within 7 days; the
documents set no number for them, so that is our default.

Every figure is configurable per community and per kind/urgency in
``Community.config["tickets"]``::

    {"tickets": {
        "daily_limit": 10,            # tickets one resident may file per local day
        "auto_close_days": 7,         # resolved but unconfirmed → closed
        "digest_hour": 8,             # morning digest, community time
        "warn_fraction": 0.2,         # "about to pass" at 80 % of the window …
        "warn_max_minutes": 120,      # … but never more than 2 h before
        "deadlines": {"repair": {"urgent": {"resolve": 360, "on_site": 15}},
                      "suggestion": {"normal": {"first_response": null}}}}}

Minutes everywhere; ``null`` removes a deadline. For each deadline the
scheduler sends, exactly once each: a warning ``lead`` before it passes, an
"overdue" notice when it passes, and an escalation to the managers ``lead``
after that (``lead`` = warn_fraction × window, capped at warn_max_minutes).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Community
from core.tickets.models import (
    OPEN_STATUSES,
    DeadlineKind,
    Ticket,
    TicketDeadline,
    TicketKind,
    Urgency,
)
from core.tickets.working_hours import add_working_time

log = logging.getLogger(__name__)

Windows = dict[DeadlineKind, timedelta]

_M = timedelta(minutes=1)
_H = timedelta(hours=1)
_D = timedelta(days=1)

_URGENT_REPAIR: Windows = {
    DeadlineKind.ACKNOWLEDGE: 10 * _M,
    DeadlineKind.ON_SITE: 10 * _M,
    DeadlineKind.RESOLVE: 4 * _H,
}
# Taken within 4 *working* hours (core.tickets.working_hours), or the office is alerted.
_NORMAL_REPAIR: Windows = {DeadlineKind.ACKNOWLEDGE: 4 * _H, DeadlineKind.RESOLVE: 3 * _D}
_COMPLAINT: Windows = {DeadlineKind.FIRST_RESPONSE: 24 * _H, DeadlineKind.RESOLVE: 7 * _D}
_SUGGESTION: Windows = {DeadlineKind.FIRST_RESPONSE: 7 * _D}

DEFAULT_POLICY: dict[TicketKind, dict[Urgency, Windows]] = {
    TicketKind.REPAIR: {
        Urgency.NORMAL: _NORMAL_REPAIR,
        Urgency.URGENT: _URGENT_REPAIR,
        Urgency.EMERGENCY: _URGENT_REPAIR,
    },
    TicketKind.HAZARD: {
        Urgency.NORMAL: _NORMAL_REPAIR,
        Urgency.URGENT: _URGENT_REPAIR,
        Urgency.EMERGENCY: _URGENT_REPAIR,
    },
    TicketKind.COMPLAINT: {u: _COMPLAINT for u in Urgency},
    TicketKind.SUGGESTION: {u: _SUGGESTION for u in Urgency},
}

DEFAULT_DAILY_LIMIT = 10
DEFAULT_AUTO_CLOSE_DAYS = 7
DEFAULT_DIGEST_HOUR = 8
DEFAULT_WARN_FRACTION = 0.2
DEFAULT_WARN_MAX = 2 * _H


@dataclass(frozen=True)
class TicketSettings:
    """The tickets section of a community's config, validated, with defaults."""

    daily_limit: int = DEFAULT_DAILY_LIMIT
    auto_close_days: int = DEFAULT_AUTO_CLOSE_DAYS
    digest_hour: int = DEFAULT_DIGEST_HOUR
    warn_fraction: float = DEFAULT_WARN_FRACTION
    warn_max: timedelta = DEFAULT_WARN_MAX
    policy: dict[TicketKind, dict[Urgency, Windows]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_POLICY.items()}
    )
    timezone: str = "Asia/Shanghai"  # the community's: working hours are local

    def windows(self, kind: TicketKind, urgency: Urgency) -> Windows:
        return dict(self.policy.get(kind, {}).get(urgency, {}))

    def lead(self, window: timedelta) -> timedelta:
        """How long before a deadline the warning goes (and after it, the escalation)."""
        return min(window * self.warn_fraction, self.warn_max)


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_ticket_settings(config: Mapping[str, Any] | None) -> TicketSettings:
    """Read ``config["tickets"]``; an invalid value is logged and replaced by its default
    (a typo in one figure must not stop tickets from being filed)."""
    section = (config or {}).get("tickets") or {}
    if not isinstance(section, Mapping):
        log.warning("community config 'tickets' is not an object; using defaults")
        return TicketSettings()

    def pick(key: str, low: int, high: int, default: int) -> int:
        if key not in section:
            return default
        value = _int_in(section[key], low, high)
        if value is None:
            log.warning("invalid tickets.%s=%r; using %s", key, section[key], default)
            return default
        return value

    fraction = section.get("warn_fraction", DEFAULT_WARN_FRACTION)
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not (0 < fraction < 1)
    ):
        log.warning("invalid tickets.warn_fraction=%r", fraction)
        fraction = DEFAULT_WARN_FRACTION
    policy = {k: {u: dict(w) for u, w in v.items()} for k, v in DEFAULT_POLICY.items()}
    overrides = section.get("deadlines") or {}
    if isinstance(overrides, Mapping):
        for kind_name, by_urgency in overrides.items():
            if kind_name not in TicketKind.__members__.values() or not isinstance(
                by_urgency, Mapping
            ):
                log.warning("invalid tickets.deadlines.%s", kind_name)
                continue
            for urgency_name, by_deadline in by_urgency.items():
                if urgency_name not in Urgency.__members__.values() or not isinstance(
                    by_deadline, Mapping
                ):
                    log.warning("invalid tickets.deadlines.%s.%s", kind_name, urgency_name)
                    continue
                windows = policy[TicketKind(kind_name)][Urgency(urgency_name)]
                for deadline_name, minutes in by_deadline.items():
                    if deadline_name not in DeadlineKind.__members__.values():
                        log.warning("unknown deadline %r in tickets config", deadline_name)
                        continue
                    kind = DeadlineKind(deadline_name)
                    if minutes is None:
                        windows.pop(kind, None)
                        continue
                    value = _int_in(minutes, 1, 366 * 24 * 60)
                    if value is None:
                        log.warning("invalid deadline minutes %r for %s", minutes, deadline_name)
                        continue
                    windows[kind] = timedelta(minutes=value)
    return TicketSettings(
        daily_limit=pick("daily_limit", 1, 1000, DEFAULT_DAILY_LIMIT),
        auto_close_days=pick("auto_close_days", 1, 365, DEFAULT_AUTO_CLOSE_DAYS),
        digest_hour=pick("digest_hour", 0, 23, DEFAULT_DIGEST_HOUR),
        warn_fraction=float(fraction),
        warn_max=timedelta(minutes=pick("warn_max_minutes", 1, 7 * 24 * 60, 120)),
        policy=policy,
    )


def ticket_settings(community: Community) -> TicketSettings:
    return replace(parse_ticket_settings(community.config), timezone=community.timezone)


@dataclass(frozen=True)
class PlannedDeadline:
    kind: DeadlineKind
    due_at: datetime
    warn_at: datetime
    escalate_at: datetime


def plan_deadline(
    settings: TicketSettings, kind: DeadlineKind, window: timedelta, start: datetime
) -> PlannedDeadline:
    due = start + window
    lead = settings.lead(window)
    return PlannedDeadline(kind=kind, due_at=due, warn_at=due - lead, escalate_at=due + lead)


def plan_deadlines(
    settings: TicketSettings, kind: TicketKind, urgency: Urgency, start: datetime
) -> list[PlannedDeadline]:
    planned = []
    for deadline_kind, window in settings.windows(kind, urgency).items():
        if deadline_kind == DeadlineKind.ACKNOWLEDGE and urgency == Urgency.NORMAL:
            # A normal ticket is taken within working hours: the window is counted in them.
            window = add_working_time(start, window, settings.timezone) - start
        planned.append(plan_deadline(settings, deadline_kind, window, start))
    return planned


def new_deadline_row(planned: PlannedDeadline, round_: int = 0) -> TicketDeadline:
    return TicketDeadline(
        kind=planned.kind,
        round=round_,
        due_at=planned.due_at,
        warn_at=planned.warn_at,
        escalate_at=planned.escalate_at,
    )


# --------------------------------------------------------------------- notices


class NoticePhase(enum.StrEnum):
    WARNING = "warning"  # about to pass
    OVERDUE = "overdue"  # has passed
    ESCALATION = "escalation"  # passed a while ago: tell the managers


@dataclass(frozen=True)
class DeadlineNotice:
    deadline_id: int
    ticket_id: int
    kind: DeadlineKind
    phase: NoticePhase
    due_at: datetime


_PHASE_COLUMN: dict[NoticePhase, InstrumentedAttribute[datetime | None]] = {
    NoticePhase.WARNING: TicketDeadline.warned_at,
    NoticePhase.OVERDUE: TicketDeadline.overdue_notified_at,
    NoticePhase.ESCALATION: TicketDeadline.escalated_at,
}


async def _claim(
    session: AsyncSession, deadline_id: int, phase: NoticePhase, now: datetime
) -> bool:
    """Stamp one phase of one deadline if nobody has; True when this caller won.

    The conditional UPDATE is what makes each notice fire once: a second run,
    a restarted process or a concurrent worker finds the stamp already set.
    """
    column = _PHASE_COLUMN[phase]
    result = await session.execute(
        update(TicketDeadline)
        .where(
            TicketDeadline.id == deadline_id,
            column.is_(None),
            TicketDeadline.met_at.is_(None),
            TicketDeadline.voided_at.is_(None),
        )
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def claim_due_notices(
    session: AsyncSession, now: datetime, *, limit: int = 200
) -> list[DeadlineNotice]:
    """Claim every notice that is due now, in order; the caller commits, then sends.

    A warning whose deadline has already passed (the bot was down) is stamped
    but not returned: "about to pass" would be false by now.
    """
    rows = (
        await session.execute(
            select(TicketDeadline)
            .join(Ticket, Ticket.id == TicketDeadline.ticket_id)
            .where(
                TicketDeadline.met_at.is_(None),
                TicketDeadline.voided_at.is_(None),
                TicketDeadline.warn_at <= now,
                Ticket.status.in_(list(OPEN_STATUSES)),
                or_(
                    TicketDeadline.warned_at.is_(None),
                    and_(
                        TicketDeadline.due_at <= now,
                        TicketDeadline.overdue_notified_at.is_(None),
                    ),
                    and_(
                        TicketDeadline.escalate_at <= now,
                        TicketDeadline.escalated_at.is_(None),
                    ),
                ),
            )
            .order_by(TicketDeadline.due_at, TicketDeadline.id)
            .limit(limit)
        )
    ).scalars()
    # Plain tuples: the UPDATEs below must not be confused with ORM state.
    candidates = [
        (
            d.id,
            d.ticket_id,
            d.kind,
            d.due_at,
            d.escalate_at,
            d.warned_at,
            d.overdue_notified_at,
            d.escalated_at,
        )
        for d in rows
    ]
    notices: list[DeadlineNotice] = []
    for deadline_id, ticket_id, kind, due_at, escalate_at, warned, overdue, escalated in candidates:
        if warned is None:
            claimed = await _claim(session, deadline_id, NoticePhase.WARNING, now)
            if claimed and now < due_at:
                notices.append(
                    DeadlineNotice(deadline_id, ticket_id, kind, NoticePhase.WARNING, due_at)
                )
        if overdue is None and due_at <= now:
            if await _claim(session, deadline_id, NoticePhase.OVERDUE, now):
                notices.append(
                    DeadlineNotice(deadline_id, ticket_id, kind, NoticePhase.OVERDUE, due_at)
                )
        if escalated is None and escalate_at <= now:
            if await _claim(session, deadline_id, NoticePhase.ESCALATION, now):
                notices.append(
                    DeadlineNotice(deadline_id, ticket_id, kind, NoticePhase.ESCALATION, due_at)
                )
    return notices


async def release_notice(session: AsyncSession, notice: DeadlineNotice) -> None:
    """Undo a claim whose message could not be sent (network down), so the next run
    tries again. Not used when the recipient simply cannot be reached."""
    column = _PHASE_COLUMN[notice.phase]
    await session.execute(
        update(TicketDeadline)
        .where(TicketDeadline.id == notice.deadline_id)
        .values({column.key: None})
        .execution_options(synchronize_session=False)
    )


def meet_deadlines(
    ticket: Ticket, kinds: Sequence[DeadlineKind], at: datetime
) -> list[TicketDeadline]:
    """Mark the ticket's pending deadlines of ``kinds`` as met at ``at``."""
    met = []
    for deadline in ticket.deadlines:
        if deadline.kind in kinds and deadline.is_pending:
            deadline.met_at = at
            met.append(deadline)
    return met


def void_deadlines(ticket: Ticket, kinds: Sequence[DeadlineKind] | None, at: datetime) -> None:
    """The promise no longer applies (cancelled, rejected): out of the statistics."""
    for deadline in ticket.deadlines:
        if deadline.is_pending and (kinds is None or deadline.kind in kinds):
            deadline.voided_at = at


def overdue_deadlines(ticket: Ticket, now: datetime) -> list[TicketDeadline]:
    return [d for d in ticket.deadlines if d.is_pending and d.due_at <= now]


def pending_deadlines(ticket: Ticket) -> list[TicketDeadline]:
    return [d for d in ticket.deadlines if d.is_pending]
