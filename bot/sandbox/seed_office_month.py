"""A month of the office's records in the demo community, so the scorecard has
something to say (seeded through the domain services, after
:func:`bot.sandbox.seed_office.seed_office` made the route and the ledger).

- The night route's rounds from the first day of last month (local) to now,
  walked by the guard ten minutes into each window, with a point skipped now and
  then; each day's windows closed as the scheduler would have closed them. The
  guard is the route's guard on duty.
- Last month's light round: every light working.
- The maintenance tasks of every period that ended before today, done on their
  due day, one pump week done two days late; the current periods' tasks are left
  to the task job (they appear in the admin group as due).

Fire-lane checks are not seeded: each needs a photo taken at the lane, which a
seed does not have — last month's figure shows the shortfall, and "What to try"
has a check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.equipment.lights import close_round
from core.equipment.models import Frequency
from core.equipment.plans import complete_task, make_due_tasks, period_of
from core.models import Community, Person
from core.patrols.checkpoints import Coordinates, record_visit
from core.patrols.duty import set_route_guards
from core.patrols.models import Checkpoint, PatrolRoute
from core.patrols.rounds import close_due_rounds
from core.patrols.routes import windows_between


def _at(day: date, hour: int, tz: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def seed_office_month(
    session: AsyncSession,
    community: Community,
    *,
    route: PatrolRoute,
    points: list[Checkpoint],
    location: Coordinates,
    people: dict[str, Person],
    clock: Clock,
    notes: str,
) -> None:
    tz = community.timezone
    now = clock.now()
    today = now.astimezone(ZoneInfo(tz)).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    guard, manager = people["guard"], people["manager"]
    technician = people.get("technician", manager)

    route.created_at = _at(first, 0, tz)
    windows = windows_between(route, tz, route.created_at, now)
    # A missed car park every few nights, and on the second-to-last night at 02:00.
    skipped = set(windows[7::29]) | ({windows[-8]} if len(windows) >= 8 else set())
    for window in windows:
        for offset, point in enumerate(points):
            if window in skipped and offset == 1:
                continue
            await record_visit(
                session,
                checkpoint_id=point.id,
                salt=point.salt,
                person_id=guard.id,
                telegram_id=guard.telegram_id,
                now=window[0] + timedelta(minutes=10 + 15 * offset),
                location=location if point.has_location else None,
            )
    closing = route.created_at + timedelta(days=1)
    while closing < now:
        await close_due_rounds(session, closing)
        closing += timedelta(days=1)
    await close_due_rounds(session, now)
    await set_route_guards(
        session, community, route.name, [guard.full_name], actor_person_id=manager.id
    )

    await close_round(
        session, community, now=_at(first.replace(day=15), 21, tz), person_id=guard.id
    )

    day, late_done = first, False
    while period_of(day, Frequency.WEEKLY)[1] < today:
        for task in await make_due_tasks(session, _at(day, 9, tz)):
            if task.due_on >= today:
                continue  # this period's task: the job posts it as due
            delay = 0
            if "W" in task.period and not late_done:  # the first weekly check: two days late
                delay, late_done = 2, True
            done_on = task.due_on + timedelta(days=delay)
            await complete_task(
                session,
                task.id,
                community.id,
                person_id=technician.id,
                now=_at(done_on, 10, tz),
                notes=notes,
                photo_file_id=None,
            )
        day += timedelta(days=7)
