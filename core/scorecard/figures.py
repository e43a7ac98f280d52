"""A month of the office's duties, measured from the records.

- Patrol rounds completed: closed rounds (``patrol_rounds``) that began in the
  month with no missed point, of all closed rounds.
- Fire-lane checks: done against required, per lane (extra checks on one lane do
  not make up for another) — :func:`core.patrols.fire_lanes.lane_compliance`.
- Lights working: working of checked on the month's light round.
- Maintenance on time: tasks due in the month done by their due day (local), of
  all tasks due in the month.
- Latest survey satisfaction: the mean rating (1–5) of the latest yearly survey
  closed by the period's end, with its date — :func:`core.surveys.results.latest_satisfaction`.
- Urgent repairs on site in time and done in time, complaints resolved and
  accounts published on schedule: :mod:`core.scorecard.measures`.
- The median time to on site and every ticket's deadlines: the tickets area's
  figures, :func:`core.tickets.reports.build_period_report`.

The same figures cover a week (managers' ``/scorecard week``): rounds,
maintenance, repairs and complaints of the seven days; fire lanes and lights are
monthly duties, so a week shows its month's figures to date.

A share with nothing to measure is None ("—"), never 0% or 100%.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.equipment.lights import LightMonth, light_month
from core.equipment.models import MaintenanceTask, TaskStatus
from core.models import Community
from core.patrols.fire_lanes import LaneCompliance, lane_compliance, month_bounds
from core.patrols.models import PatrolRound
from core.patrols.rounds import local_day_bounds
from core.scorecard.measures import (
    AccountsOnSchedule,
    Complaints,
    UrgentRepairs,
    accounts_on_schedule,
    complaints,
    urgent_repairs,
)
from core.surveys.results import Satisfaction, latest_satisfaction
from core.tickets.models import DeadlineKind
from core.tickets.reports import TicketReport, build_period_report


def share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class Scorecard:
    month: date  # the month of the lanes and the lights (the period's last day's)
    first: date
    last: date  # inclusive, local days
    rounds: int
    rounds_completed: int
    lanes: LaneCompliance
    lights: LightMonth
    tasks_due: int
    tasks_on_time: int
    tickets: TicketReport
    complaints: Complaints
    accounts: AccountsOnSchedule | None
    urgent: UrgentRepairs
    satisfaction: Satisfaction | None = None

    @property
    def weekly(self) -> bool:
        return (self.last - self.first).days < 27

    @property
    def rounds_pct(self) -> float | None:
        return share(self.rounds_completed, self.rounds)

    @property
    def tasks_pct(self) -> float | None:
        return share(self.tasks_on_time, self.tasks_due)

    def deadline_pct(self, kind: DeadlineKind) -> float | None:
        found = self.tickets.deadlines.get(kind)
        return share(found.met, found.decided) if found else None

    @property
    def median_to_on_site(self) -> timedelta | None:
        return self.tickets.median_to_on_site


async def month_scorecard(
    session: AsyncSession, community: Community, month: date, now: datetime
) -> Scorecard:
    first = month.replace(day=1)
    end = month_bounds(first, community.timezone)[1]
    last = (end.astimezone(ZoneInfo(community.timezone)) - timedelta(days=1)).date()
    return await period_scorecard(session, community, first, last, now)


async def week_scorecard(
    session: AsyncSession, community: Community, last: date, now: datetime
) -> Scorecard:
    """The seven local days ending on ``last``."""
    return await period_scorecard(session, community, last - timedelta(days=6), last, now)


async def period_scorecard(
    session: AsyncSession, community: Community, first: date, last: date, now: datetime
) -> Scorecard:
    zone = ZoneInfo(community.timezone)
    start = local_day_bounds(first, community.timezone)[0]
    end = local_day_bounds(last, community.timezone)[1]
    rounds = (
        await session.scalars(
            select(PatrolRound.completed).where(
                PatrolRound.community_id == community.id,
                PatrolRound.window_start >= start,
                PatrolRound.window_start < end,
            )
        )
    ).all()
    tasks = (
        await session.scalars(
            select(MaintenanceTask).where(
                MaintenanceTask.community_id == community.id,
                MaintenanceTask.due_on >= first,
                MaintenanceTask.due_on <= last,
            )
        )
    ).all()
    on_time = sum(
        1
        for task in tasks
        if task.status == TaskStatus.DONE
        and task.done_at is not None
        and task.done_at.astimezone(zone).date() <= task.due_on
    )
    month = last.replace(day=1)
    today = now.astimezone(zone).date()
    return Scorecard(
        month=month,
        first=first,
        last=last,
        rounds=len(rounds),
        rounds_completed=sum(1 for done in rounds if done),
        lanes=await lane_compliance(session, community, month),
        lights=await light_month(session, community, month.strftime("%Y-%m")),
        tasks_due=len(tasks),
        tasks_on_time=on_time,
        tickets=await build_period_report(session, community, start, end, now),
        complaints=await complaints(session, community, start, end),
        accounts=await accounts_on_schedule(session, community, last, today),
        urgent=await urgent_repairs(session, community, start, end, now),
        satisfaction=await latest_satisfaction(
            session, community.id, before=end, tz=community.timezone
        ),
    )
