"""Closing round windows and the daily patrol report, both from the records.

:func:`close_due_rounds` runs in the scheduler: every round window whose end plus
the route's grace has passed is closed once into a ``PatrolRound`` row, each stop
``on_time`` (visited in the window), ``late`` (in the grace after it) or
``missed``. The unique (route, window start) makes a second run — or a second
process — close nothing twice; the rounds with missed points are returned for the
admin-group alert, after the caller commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community, Person
from core.patrols.duty import on_duty
from core.patrols.models import (
    Checkpoint,
    CheckpointVisit,
    PatrolRound,
    PatrolRoute,
    PointOutcome,
)
from core.patrols.routes import active_routes, windows_between
from core.sends import is_claimed

LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class MissedRound:
    community: Community
    route: PatrolRoute
    round: PatrolRound
    missed: list[str]  # checkpoint names, in route order
    on_duty: list[str]  # the staff on duty for the round (core.patrols.duty)


async def _outcomes(
    session: AsyncSession, route: PatrolRoute, start: datetime, end: datetime
) -> dict[str, str]:
    grace_end = end + timedelta(minutes=route.grace_min)
    ids = [stop.checkpoint_id for stop in route.stops]
    times = await session.execute(
        select(CheckpointVisit.checkpoint_id, CheckpointVisit.visited_at).where(
            CheckpointVisit.checkpoint_id.in_(ids),
            CheckpointVisit.visited_at >= start,
            CheckpointVisit.visited_at < grace_end,
        )
    )
    on_time: set[int] = set()
    late: set[int] = set()
    for checkpoint_id, at in times.all():
        (on_time if at < end else late).add(checkpoint_id)
    result = {}
    for cid in ids:
        outcome = (
            PointOutcome.ON_TIME
            if cid in on_time
            else PointOutcome.LATE
            if cid in late
            else PointOutcome.MISSED
        )
        result[str(cid)] = outcome.value
    return result


async def close_due_rounds(session: AsyncSession, now: datetime) -> list[MissedRound]:
    missed_rounds: list[MissedRound] = []
    communities: dict[int, Community | None] = {}
    for route in await active_routes(session):
        if route.community_id not in communities:
            communities[route.community_id] = await session.get(Community, route.community_id)
        community = communities[route.community_id]
        if community is None or not route.stops:
            continue
        grace = timedelta(minutes=route.grace_min)
        since = max(route.created_at, now - LOOKBACK) - grace
        due = [
            w
            for w in windows_between(route, community.timezone, since, now - grace)
            if w[0] >= route.created_at
        ]
        if not due:
            continue
        closed = set(
            (
                await session.scalars(
                    select(PatrolRound.window_start).where(
                        PatrolRound.route_id == route.id,
                        PatrolRound.window_start >= due[0][0],
                    )
                )
            ).all()
        )
        for start, end in due:
            if start in closed:
                continue
            outcomes = await _outcomes(session, route, start, end)
            row = PatrolRound(
                community_id=route.community_id,
                route_id=route.id,
                window_start=start,
                window_end=end,
                completed=PointOutcome.MISSED.value not in outcomes.values(),
                outcomes=outcomes,
                closed_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                continue  # closed meanwhile by another process
            if not row.completed:
                names = [
                    stop.checkpoint.name
                    for stop in route.stops
                    if outcomes[str(stop.checkpoint_id)] == PointOutcome.MISSED.value
                ]
                duty = await on_duty(session, route, start, end)
                missed_rounds.append(MissedRound(community, route, row, names, duty))
    return missed_rounds


@dataclass
class RouteDay:
    name: str
    rounds: int = 0
    completed: int = 0
    points: Counter[str] = field(default_factory=Counter)
    # (round start, [checkpoint names]) for rounds with missed or late points
    missed: list[tuple[datetime, list[str]]] = field(default_factory=list)
    late: list[tuple[datetime, list[str]]] = field(default_factory=list)


@dataclass
class DailyReport:
    day: date
    routes: list[RouteDay]
    guards: list[tuple[str, int]]  # (name, visits), most first
    last: date | None = None  # a report of several days: ``day`` to ``last``

    @property
    def rounds(self) -> int:
        return sum(r.rounds for r in self.routes)

    @property
    def completed(self) -> int:
        return sum(r.completed for r in self.routes)

    @property
    def completion_pct(self) -> float | None:
        return 100.0 * self.completed / self.rounds if self.rounds else None


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


async def daily_report(session: AsyncSession, community: Community, day: date) -> DailyReport:
    """Rounds that began on local ``day`` and the visits made that day."""
    return await patrol_report(session, community, day, day)


async def patrol_report(
    session: AsyncSession, community: Community, day: date, last: date
) -> DailyReport:
    """Rounds that began on local days ``day`` to ``last`` and the visits made then."""
    start = local_day_bounds(day, community.timezone)[0]
    end = local_day_bounds(last, community.timezone)[1]
    rounds = (
        await session.scalars(
            select(PatrolRound)
            .where(
                PatrolRound.community_id == community.id,
                PatrolRound.window_start >= start,
                PatrolRound.window_start < end,
            )
            .order_by(PatrolRound.route_id, PatrolRound.window_start)
        )
    ).all()
    name_rows = await session.execute(
        select(Checkpoint.id, Checkpoint.name).where(Checkpoint.community_id == community.id)
    )
    names: dict[int, str] = {cid: name for cid, name in name_rows.all()}
    by_route: dict[int, RouteDay] = {}
    for row in rounds:
        route = await session.get(PatrolRoute, row.route_id)
        assert route is not None
        day_row = by_route.setdefault(row.route_id, RouteDay(route.name))
        day_row.rounds += 1
        day_row.completed += int(row.completed)
        day_row.points.update(row.outcomes.values())
        for outcome, bucket in (
            (PointOutcome.MISSED, day_row.missed),
            (PointOutcome.LATE, day_row.late),
        ):
            points = [
                names.get(int(cid), "?") for cid, o in row.outcomes.items() if o == outcome.value
            ]
            if points:
                bucket.append((row.window_start, points))
    guards = await session.execute(
        select(Person.full_name, CheckpointVisit.id)
        .join(Person, Person.id == CheckpointVisit.person_id)
        .where(
            CheckpointVisit.community_id == community.id,
            CheckpointVisit.visited_at >= start,
            CheckpointVisit.visited_at < end,
        )
    )
    counts = Counter(name for name, _ in guards.all())
    return DailyReport(
        day, list(by_route.values()), counts.most_common(), last if last != day else None
    )


REPORT_HOUR = 7  # the daily report of yesterday is posted from 07:00, local time


async def claim_daily_reports(session: AsyncSession, now: datetime) -> list[tuple[Community, date]]:
    """Communities with patrol routes whose report of yesterday is due and not yet
    posted, each claimed (a row) so it is posted once."""
    from core.patrols.models import PatrolDailyReport

    claimed = []
    ids = {route.community_id for route in await active_routes(session)}
    for community_id in sorted(ids):
        community = await session.get(Community, community_id)
        if community is None or community.admin_chat_id is None:
            continue
        local = now.astimezone(ZoneInfo(community.timezone))
        if local.hour < REPORT_HOUR:
            continue
        day = local.date() - timedelta(days=1)
        try:
            async with session.begin_nested():
                session.add(PatrolDailyReport(community_id=community_id, day=day, posted_at=now))
        except IntegrityError:
            continue
        claimed.append((community, day))
    return claimed


async def weekly_reports_due(session: AsyncSession, now: datetime) -> list[tuple[Community, date]]:
    """On Mondays from 07:00 local: communities with patrol routes and an admin
    group whose report of the week just ended is not claimed yet, each with that
    week's Monday. The caller claims each before posting (:mod:`core.sends`), so
    it is posted once."""
    due = []
    ids = {route.community_id for route in await active_routes(session)}
    for community_id in sorted(ids):
        community = await session.get(Community, community_id)
        if community is None or community.admin_chat_id is None:
            continue
        local = now.astimezone(ZoneInfo(community.timezone))
        if local.weekday() != 0 or local.hour < REPORT_HOUR:
            continue
        monday = local.date() - timedelta(days=7)
        if not await is_claimed(session, weekly_key(community_id, monday)):
            due.append((community, monday))
    return due


def weekly_key(community_id: int, monday: date) -> str:
    return f"patrols.weekly:{monday.isoformat()}:{community_id}"
