"""Patrol routes: an ordered list of checkpoints walked in rounds on a schedule.

A schedule is written ``22:00-06:00/2h`` (or ``/90m``): rounds start at 22:00 and
every two hours after, the last one ending by 06:00, in the community's time zone.
Each round's window runs from its start to the next round's start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.audit import record_audit
from core.models import Community
from core.patrols.checkpoints import PatrolError
from core.patrols.models import Checkpoint, PatrolRoute, RouteStop

_SCHEDULE = re.compile(
    r"^\s*(\d{1,2}):(\d{2})\s*[-–—~～到至]\s*(\d{1,2}):(\d{2})\s*/\s*(\d{1,3})\s*(h|m|小时|分钟?)\s*$",
    re.IGNORECASE,
)
DAY_MIN = 24 * 60


@dataclass(frozen=True)
class Schedule:
    start_min: int
    end_min: int
    every_min: int

    @property
    def span_min(self) -> int:
        span = (self.end_min - self.start_min) % DAY_MIN
        return span or DAY_MIN


def parse_schedule(text: str) -> Schedule | None:
    match = _SCHEDULE.match(text)
    if match is None:
        return None
    h1, m1, h2, m2, amount, unit = match.groups()
    if int(h1) > 23 or int(h2) > 23 or int(m1) > 59 or int(m2) > 59:
        return None
    every = int(amount) * (60 if unit.lower() in {"h", "小时"} else 1)
    schedule = Schedule(int(h1) * 60 + int(m1), int(h2) * 60 + int(m2), every)
    if not 10 <= every <= schedule.span_min:
        return None
    return schedule


def windows_on(route: PatrolRoute, day: date, tz: str) -> list[tuple[datetime, datetime]]:
    """The round windows (UTC) of the schedule that starts on local ``day``."""
    zone = ZoneInfo(tz)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    schedule = Schedule(route.start_min, route.end_min, route.every_min)
    result = []
    offset = 0
    while offset < schedule.span_min:
        start = midnight + timedelta(minutes=route.start_min + offset)
        end = midnight + timedelta(
            minutes=route.start_min + min(offset + route.every_min, schedule.span_min)
        )
        result.append((start.astimezone(UTC), end.astimezone(UTC)))
        offset += route.every_min
    return result


def windows_between(
    route: PatrolRoute, tz: str, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Windows that end in ``(since, until]``."""
    zone = ZoneInfo(tz)
    day = since.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date()
    found: list[tuple[datetime, datetime]] = []
    while day <= last:
        found.extend(w for w in windows_on(route, day, tz) if since < w[1] <= until)
        day += timedelta(days=1)
    return found


async def create_route(
    session: AsyncSession,
    community: Community,
    *,
    name: str,
    checkpoint_ids: list[int],
    schedule: Schedule,
    actor_person_id: int | None,
) -> PatrolRoute:
    if not checkpoint_ids or len(set(checkpoint_ids)) != len(checkpoint_ids):
        raise PatrolError("bad_stops")
    known = set(
        (
            await session.scalars(
                select(Checkpoint.id).where(
                    Checkpoint.community_id == community.id,
                    Checkpoint.active.is_(True),
                    Checkpoint.id.in_(checkpoint_ids),
                )
            )
        ).all()
    )
    if known != set(checkpoint_ids):
        raise PatrolError("unknown_checkpoint")
    taken = await session.scalar(
        select(PatrolRoute.id).where(
            PatrolRoute.community_id == community.id,
            func.lower(PatrolRoute.name) == name.lower(),
        )
    )
    if taken is not None:
        raise PatrolError("name_taken")
    route = PatrolRoute(
        community_id=community.id,
        name=name,
        start_min=schedule.start_min,
        end_min=schedule.end_min,
        every_min=schedule.every_min,
        stops=[RouteStop(checkpoint_id=cid, position=i) for i, cid in enumerate(checkpoint_ids)],
    )
    session.add(route)
    await session.flush()
    await record_audit(
        session,
        "patrols.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="patrol_route",
        target_id=route.id,
        details={"name": name, "stops": checkpoint_ids, "every_min": schedule.every_min},
    )
    loaded = await session.scalar(
        select(PatrolRoute)
        .where(PatrolRoute.id == route.id)
        .options(selectinload(PatrolRoute.stops).selectinload(RouteStop.checkpoint))
        .execution_options(populate_existing=True)
    )
    assert loaded is not None
    return loaded


async def active_routes(
    session: AsyncSession, community_id: int | None = None
) -> list[PatrolRoute]:
    query = (
        select(PatrolRoute)
        .where(PatrolRoute.active.is_(True))
        .options(selectinload(PatrolRoute.stops).selectinload(RouteStop.checkpoint))
        .order_by(PatrolRoute.id)
    )
    if community_id is not None:
        query = query.where(PatrolRoute.community_id == community_id)
    return list((await session.scalars(query)).all())
