"""A month of the office's duties, measured from the records.

- Patrol rounds completed: closed rounds (``patrol_rounds``) that began in the
  month with no missed point, of all closed rounds.
- Fire-lane checks: done against required, per lane (extra checks on one lane do
  not make up for another) — :func:`core.patrols.fire_lanes.lane_compliance`.
- Lights working: working of checked on the month's light round.
- Maintenance on time: tasks due in the month done by their due day (local), of
  all tasks due in the month.
- Repairs: the tickets area's monthly figures (deadlines met of decided, median
  time to on site), :func:`core.tickets.reports.build_report`.
- Latest survey satisfaction: the mean rating (1–5) of the latest yearly survey
  closed by the month's end, with its date — :func:`core.surveys.results.latest_satisfaction`.

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
from core.surveys.results import Satisfaction, latest_satisfaction
from core.tickets.models import DeadlineKind
from core.tickets.reports import TicketReport, build_report


def share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class Scorecard:
    month: date
    rounds: int
    rounds_completed: int
    lanes: LaneCompliance
    lights: LightMonth
    tasks_due: int
    tasks_on_time: int
    tickets: TicketReport
    satisfaction: Satisfaction | None = None

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
    start, end = month_bounds(first, community.timezone)
    rounds = (
        await session.scalars(
            select(PatrolRound.completed).where(
                PatrolRound.community_id == community.id,
                PatrolRound.window_start >= start,
                PatrolRound.window_start < end,
            )
        )
    ).all()
    last = (end.astimezone(ZoneInfo(community.timezone)) - timedelta(days=1)).date()
    tasks = (
        await session.scalars(
            select(MaintenanceTask).where(
                MaintenanceTask.community_id == community.id,
                MaintenanceTask.due_on >= first,
                MaintenanceTask.due_on <= last,
            )
        )
    ).all()
    zone = ZoneInfo(community.timezone)
    on_time = sum(
        1
        for task in tasks
        if task.status == TaskStatus.DONE
        and task.done_at is not None
        and task.done_at.astimezone(zone).date() <= task.due_on
    )
    return Scorecard(
        month=first,
        rounds=len(rounds),
        rounds_completed=sum(1 for done in rounds if done),
        lanes=await lane_compliance(session, community, first),
        lights=await light_month(session, community, first.strftime("%Y-%m")),
        tasks_due=len(tasks),
        tasks_on_time=on_time,
        tickets=await build_report(session, community, first, now),
        satisfaction=await latest_satisfaction(
            session, community.id, before=end, tz=community.timezone
        ),
    )
