"""The decision rules against the real database: each reason, the atomic redemption,
the access log, door failures and emergency mode."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from access.models import AccessLogEntry, Pass, PassStatus, WorkerCategory
from access.passes import (
    MON_TO_SAT,
    PassError,
    approve_worker_pass,
    request_worker_pass,
    revoke_pass,
)
from access.verification import Credential, Direction, DoorOutcome, Method, Reason
from core.models import StaffRole
from tests.access.helpers import visitor_pass
from tests.conftest import TEST_SECRET
from tests.factories import make_staff


async def gate(runtime, site, name="东门"):
    info = await runtime.gates.get(site.gate_ids[name])
    assert info is not None
    return info


async def test_single_use_code_admits_once_and_opens_the_door(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now())
    east = await gate(runtime, site)

    first = await runtime.verify(east, Credential.code(issued.code), terminal="east-1")
    assert first.granted and first.reason == Reason.OK
    assert first.door == DoorOutcome.RELEASED
    assert first.holder_name == "张三"
    door = runtime.doors.existing(east.id)
    assert door is not None and door.releases == 1

    second = await runtime.verify(east, Credential.code(issued.code))
    assert not second.granted and second.reason == Reason.USED
    assert door.releases == 1

    rows = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))).all()
    assert [(r.granted, r.reason, r.method) for r in rows] == [
        (True, "ok", "code"),
        (False, "used", "code"),
    ]
    assert rows[0].terminal == "east-1" and rows[0].host_unit_id == site.unit.id


async def test_qr_token_and_multi_entry(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now(), multi=True)
    east = await gate(runtime, site)
    for _ in range(3):
        d = await runtime.verify(east, Credential.qr(issued.token))
        assert d.granted and d.method == Method.QR and d.uses_left is None
    assert (await session.get(Pass, issued.pass_id)).uses_count == 3


async def test_each_denial_has_its_reason(session, site, runtime, clock):
    now = clock.now()
    east = await gate(runtime, site)
    north = await gate(runtime, site, "北门")

    later = await visitor_pass(session, site, now, starts_in=timedelta(hours=3))
    d = await runtime.verify(east, Credential.code(later.code))
    assert d.reason == Reason.NOT_YET_VALID

    only_north = await visitor_pass(session, site, now, gates=["北门"])
    assert (await runtime.verify(east, Credential.code(only_north.code))).reason == (
        Reason.WRONG_GATE
    )
    assert (await runtime.verify(north, Credential.code(only_north.code))).granted

    revoked = await visitor_pass(session, site, now)
    await revoke_pass(
        session,
        now=now,
        pass_id=revoked.pass_id,
        by_person_id=site.host.id,
        reason="host",
        host_person_id=site.host.id,
    )
    await session.commit()
    assert (await runtime.verify(east, Credential.code(revoked.code))).reason == Reason.REVOKED
    assert (await runtime.verify(east, Credential.qr(revoked.token))).reason == Reason.REVOKED

    short = await visitor_pass(session, site, now, hours=1)
    clock.advance(timedelta(hours=1))
    assert (await runtime.verify(east, Credential.code(short.code))).reason == Reason.EXPIRED

    assert (await runtime.verify(east, Credential.qr("x" * 32))).reason == Reason.UNKNOWN

    reasons = await session.scalars(select(AccessLogEntry.reason).order_by(AccessLogEntry.id))
    assert list(reasons) == [
        "not_yet_valid",
        "wrong_gate",
        "ok",
        "revoked",
        "revoked",
        "expired",
        "unknown",
    ]


async def test_code_of_another_community_is_unknown(session, site, runtime, clock):
    from access.gates import create_gate
    from tests.factories import make_community

    issued = await visitor_pass(session, site, clock.now())
    other = await make_community(session, "翠湖苑")
    created = await create_gate(session, secret_key=TEST_SECRET, community_id=other.id, name="南门")
    await session.commit()
    foreign = await runtime.gates.get(created.gate.id)
    assert (await runtime.verify(foreign, Credential.code(issued.code))).reason == Reason.UNKNOWN
    assert (await runtime.verify(foreign, Credential.qr(issued.token))).reason == Reason.UNKNOWN


async def test_worker_pass_works_only_inside_its_hours(session, site, runtime, clock):
    now = clock.now()  # Wednesday 10:00 Shanghai
    staff, _ = await make_staff(session, site.community, role=StaffRole.MANAGER)
    requested = await request_worker_pass(
        session,
        now=now,
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        worker_name="李师傅",
        worker_phone="13900001111",
        company="好家装修",
        category=WorkerCategory.RENOVATION,
        first_day=date(2026, 11, 25),
        last_day=date(2026, 11, 30),
        daily_start_min=8 * 60,
        daily_end_min=18 * 60,
        weekdays=MON_TO_SAT,
        gate_ids=[],
    )
    await session.commit()
    assert requested.status == PassStatus.PENDING
    issued = await approve_worker_pass(
        session,
        secret_key=TEST_SECRET,
        now=now,
        pass_id=requested.id,
        community_id=site.community.id,
        staff_person_id=staff.id,
    )
    await session.commit()
    with pytest.raises(PassError) as again:
        await approve_worker_pass(
            session,
            secret_key=TEST_SECRET,
            now=now,
            pass_id=requested.id,
            community_id=site.community.id,
            staff_person_id=staff.id,
        )
    assert again.value.code == "already_decided"
    await session.rollback()

    east = await gate(runtime, site)
    assert (await runtime.verify(east, Credential.code(issued.code))).granted
    assert (await runtime.verify(east, Credential.code(issued.code))).granted  # multi-use
    clock.advance(timedelta(hours=9))  # 19:00 local
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == (
        Reason.OUTSIDE_HOURS
    )
    clock.set(clock.now().replace(day=29, hour=2))  # Sunday 10:00 local
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == (
        Reason.OUTSIDE_HOURS
    )
    clock.set(clock.now().replace(day=30, hour=0))  # Monday 08:00 local
    assert (await runtime.verify(east, Credential.code(issued.code))).granted
    clock.set(clock.now().replace(day=30, hour=16))  # Tuesday 00:00 local: range over
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == Reason.EXPIRED


async def test_exit_is_recorded_without_spending_a_use(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now())
    east = await gate(runtime, site)
    assert (await runtime.verify(east, Credential.code(issued.code))).granted
    out = await runtime.verify(east, Credential.code(issued.code), direction=Direction.OUT)
    assert out.granted and out.reason == Reason.EXIT
    row = await session.get(Pass, issued.pass_id)
    await session.refresh(row)
    assert row.uses_count == 1 and row.inside is False


async def test_door_failure_is_logged_refunded_and_alerted(session, site, runtime, clock, notifier):
    issued = await visitor_pass(session, site, clock.now())
    east = await gate(runtime, site)
    runtime.driver_for(east).fail = True

    d = await runtime.verify(east, Credential.code(issued.code))
    assert d.granted and d.door == DoorOutcome.FAILED
    await runtime.drain()
    assert len(notifier.door_failures) == 1
    rows = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))).all()
    assert [(r.granted, r.reason) for r in rows] == [(True, "ok"), (True, "door_failed")]
    assert rows[1].ref_id == rows[0].id
    # Nobody went through, so the visitor can try again once the door works.
    runtime.driver_for(east).fail = False
    assert (await runtime.verify(east, Credential.code(issued.code))).granted


async def test_remote_and_staff_open(session, site, runtime, clock):
    guard, _ = await make_staff(session, site.community, name="赵保安", role=StaffRole.GUARD)
    tech, _ = await make_staff(session, site.community, name="钱师傅", role=StaffRole.TECHNICIAN)
    await session.commit()
    east_id = site.gate_ids["东门"]

    d = await runtime.open_gate(east_id, site.host.id, Method.REMOTE)
    assert d.granted and d.reason == Reason.REMOTE and d.host_unit_id == site.unit.id
    assert (await runtime.open_gate(east_id, guard.id, Method.STAFF)).granted
    assert (await runtime.open_gate(east_id, tech.id, Method.STAFF)).reason == Reason.NOT_ALLOWED
    assert (await runtime.open_gate(east_id, guard.id, Method.REMOTE)).reason == (
        Reason.NOT_ALLOWED
    )
    for _ in range(runtime.policy.remote_per_window - 1):
        assert (await runtime.open_gate(east_id, site.host.id, Method.REMOTE)).granted
    limited = await runtime.open_gate(east_id, site.host.id, Method.REMOTE)
    assert limited.reason == Reason.RATE_LIMITED
    clock.advance(timedelta(seconds=runtime.policy.remote_window_s + 1))
    assert (await runtime.open_gate(east_id, site.host.id, Method.REMOTE)).granted


async def test_emergency_holds_every_gate_open(session, site, runtime, clock):
    manager, _ = await make_staff(session, site.community)
    await session.commit()
    result = await runtime.emergency_open(site.community.id, manager.id)
    assert result.started and all(r.ok for r in result.doors) and len(result.doors) == 3
    for gate_id in site.gate_ids.values():
        assert runtime.doors.existing(gate_id).state == "held_open"
    again = await runtime.emergency_open(site.community.id, manager.id)
    assert not again.started

    east = await gate(runtime, site)
    d = await runtime.verify(east, Credential.code("00000000"))
    assert d.granted and d.reason == Reason.EMERGENCY and d.door == DoorOutcome.HELD_OPEN

    ended = await runtime.emergency_end(site.community.id, manager.id)
    assert ended.started
    runtime.gates.invalidate()
    for gate_id in site.gate_ids.values():
        assert runtime.doors.existing(gate_id).state == "locked"
    after = await runtime.verify(await gate(runtime, site), Credential.code("00000000"))
    assert not after.granted


async def test_access_log_is_append_only(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now())
    await runtime.verify(await gate(runtime, site), Credential.code(issued.code))
    with pytest.raises(DBAPIError):
        await session.execute(text("UPDATE access_log SET granted = false"))
    await session.rollback()
    with pytest.raises(DBAPIError):
        await session.execute(text("DELETE FROM access_log"))
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(AccessLogEntry)) == 1
