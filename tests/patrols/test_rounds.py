"""Rounds under a controlled clock: a missed point alerts once, the report adds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.clock import FrozenClock
from core.patrols.checkpoints import create_checkpoint, record_visit
from core.patrols.models import PatrolRound
from core.patrols.routes import create_route, parse_schedule
from handlers.patrols.jobs import daily_report_job, rounds_job, weekly_report_job
from tests.harness import idle, start_bot
from tests.patrols.conftest import GUARD_ID, MANAGER_ID

# 2026-12-01 21:00 in Shanghai (UTC+8).
T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
LOCAL = timedelta(hours=8)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local (Shanghai) time in December 2026, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - LOCAL


async def _route(session, world, clock):
    points = []
    for name in ("North gate", "Bike shed", "Pool"):
        points.append(
            await create_checkpoint(
                session,
                world.community,
                name=name,
                place="",
                coordinates=None,
                photo_required=False,
                actor_person_id=world.manager.id,
            )
        )
    schedule = parse_schedule("22:00-02:00/2h")
    assert schedule is not None
    route = await create_route(
        session,
        world.community,
        name="Night round",
        checkpoint_ids=[p.id for p in points],
        schedule=schedule,
        actor_person_id=world.manager.id,
    )
    route.created_at = clock.now()
    await session.commit()
    return points


async def _visit(session, world, point, when):
    await record_visit(
        session,
        checkpoint_id=point.id,
        salt=point.salt,
        person_id=world.guard.id,
        telegram_id=None,
        now=when,
        location=None,
    )


async def test_missed_points_alert_once_and_the_day_is_reported(settings, emulator, world, session):
    clock = FrozenClock(T0)
    north, shed, pool = await _route(session, world, clock)
    # Round 22:00–00:00: all three on time. Round 00:00–02:00: the pool is late
    # (within the 15 minutes' grace), the bike shed is never visited.
    for point, minute in ((north, 5), (shed, 20), (pool, 40)):
        await _visit(session, world, point, at(1, 22, minute))
    await _visit(session, world, north, at(2, 0, 10))
    await _visit(session, world, pool, at(2, 2, 5))
    await session.commit()

    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        # The manager names the guard on duty; wrong lines change nothing.
        await group.send(MANAGER_ID, "/route_guard Day round | Zhao Guard")
        await group.expect("There is no such route here")
        await group.send(MANAGER_ID, "/route_guard Night round | Li Manager, Nobody")
        await group.expect("is not an active staff member here")
        await group.send(GUARD_ID, "/route_guard Night round | Zhao Guard")
        await group.expect("Only manager")
        await group.send(MANAGER_ID, "/route_guard Night round")
        await group.expect("Usage: /route_guard")
        await group.send(MANAGER_ID, "/route_guard Night round | Zhao Guard")
        await group.expect("Route Night round: on duty Zhao Guard.")
        await group.send(GUARD_ID, "/routes")
        listing = await group.expect("Patrol routes")
        assert "North gate → Bike shed → Pool" in listing["text"]
        assert "On duty: Zhao Guard." in listing["text"]
        await idle(app)

        clock.set(at(2, 0, 14))  # the first round's grace is not over yet
        assert await rounds_job(app.ctx) == 0
        clock.set(at(2, 2, 16))
        assert await rounds_job(app.ctx) == 1
        alert = await group.expect("Patrol round not completed")
        assert "Night round" in alert["text"] and "00:00–02:00" in alert["text"]
        assert "Missed: Bike shed" in alert["text"] and "Pool" not in alert["text"]
        assert "On duty: Zhao Guard" in alert["text"]
        clock.advance(timedelta(minutes=5))
        assert await rounds_job(app.ctx) == 0  # closed once, alerted once

        rounds = (await session.scalars(select(PatrolRound).order_by(PatrolRound.id))).all()
        assert [r.completed for r in rounds] == [True, False]
        assert rounds[1].outcomes == {
            str(north.id): "on_time",
            str(shed.id): "missed",
            str(pool.id): "late",
        }

        await group.send(MANAGER_ID, "/patrol_report 2026-12-02")
        report = await group.expect("Patrols on")
        text = report["text"]
        assert "Rounds completed: 0 of 1 (0%)" in text  # rounds that began on the 2nd
        assert "on time 1, late 1, missed 1" in text
        assert "00:00 missed: Bike shed" in text and "00:00 late: Pool" in text
        assert "Zhao Guard: 2" in text  # the visits made on the 2nd

        await group.send(MANAGER_ID, "/patrol_report 2026-12-01")
        first = await group.expect("Rounds completed: 1 of 1 (100%)")
        assert "on time 3, late 0, missed 0" in first["text"] and "missed:" not in first["text"]
        await group.send(MANAGER_ID, "/patrol_report yesterday")
        await group.expect("Usage: /patrol_report")
        clock.set(at(3, 9))  # the week to yesterday (the 2nd) holds both nights' rounds
        await group.send(MANAGER_ID, "/patrol_report week")
        week = await group.expect("Patrols, Nov 26, 2026 – Dec 2, 2026")
        assert "Rounds completed: 1 of 2 (50%)" in week["text"]
        assert "Zhao Guard: 5" in week["text"]

        # The morning report of the 2nd is posted from 07:00 on the 3rd, once.
        clock.set(at(3, 6, 50))
        assert await daily_report_job(app.ctx) == 0
        clock.set(at(3, 7, 5))
        assert await daily_report_job(app.ctx) == 1
        posted = await group.expect("Patrols on")
        assert "Dec 2, 2026" in posted["text"] and "0 of 1" in posted["text"]
        assert await daily_report_job(app.ctx) == 0

        # The weekly report (Monday 30 Nov – Sunday 6 Dec) on Monday from 07:00, once.
        clock.set(at(7, 6, 55))
        assert await weekly_report_job(app.ctx) == 0
        clock.set(at(7, 7, 5))
        assert await weekly_report_job(app.ctx) == 1
        weekly = await group.expect("Patrols, Nov 30, 2026 – Dec 6, 2026")
        assert "Rounds completed: 1 of 2 (50%)" in weekly["text"]
        assert "missed 1" in weekly["text"] and "Zhao Guard: 5" in weekly["text"]
        assert await weekly_report_job(app.ctx) == 0


async def test_windows_before_the_route_existed_are_not_judged(settings, emulator, world, session):
    clock = FrozenClock(at(2, 1, 0))  # created in the middle of the night
    await _route(session, world, clock)
    async with start_bot(settings, emulator, clock=clock) as app:
        clock.set(at(3, 3, 0))
        # 00:00–02:00 on the 2nd began before the route: only the 2nd's night counts.
        assert await rounds_job(app.ctx) == 2
    starts = (await session.scalars(select(PatrolRound.window_start))).all()
    assert sorted(starts) == [at(2, 22), at(3, 0)]


def test_schedule_parsing():
    night = parse_schedule("22:00-06:00/2h")
    assert night is not None and (night.start_min, night.end_min, night.every_min) == (
        1320,
        360,
        120,
    )
    assert parse_schedule("08:00～20:00/90分钟") is not None
    assert parse_schedule("25:00-06:00/2h") is None
    assert parse_schedule("22:00-23:00/2h") is None
    assert parse_schedule("22:00-06:00") is None
