"""Regressions for doors that opened for the wrong person (issue 21, items 1–2, 4):
exits judged as strictly as entries, a gate's direction, a tenancy's end at decision
time, and no request shape that produces a 500."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from access.models import Gate, GateDirection, Pass, PassStatus
from access.verification import Credential, Direction, Method, Reason
from core.models import Residency
from tests.access.helpers import visitor_pass


async def _gate(runtime, site, name="东门"):
    runtime.gates.invalidate(site.gate_ids[name])
    return await runtime.gates.get(site.gate_ids[name])


async def test_dead_passes_cannot_exit_and_an_exit_is_once_per_entry(session, site, runtime, clock):
    east = await _gate(runtime, site)
    revoked = await visitor_pass(session, site, clock.now(), name="撤销")
    await session.execute(
        update(Pass).where(Pass.id == revoked.pass_id).values(status=PassStatus.REVOKED)
    )
    expired = await visitor_pass(session, site, clock.now(), hours=1, name="过期")
    used = await visitor_pass(session, site, clock.now(), name="用过")
    await session.commit()
    assert (await runtime.verify(east, Credential.code(used.code))).granted

    for _ in range(3):
        d = await runtime.verify(east, Credential.code(revoked.code), direction=Direction.OUT)
        assert not d.granted and d.reason == Reason.REVOKED
        d = await runtime.verify(east, Credential.qr(revoked.token), direction=Direction.OUT)
        assert not d.granted and d.reason == Reason.REVOKED

    # The single-use pass was used to come in: it leaves once, then it is spent.
    first = await runtime.verify(east, Credential.code(used.code), direction=Direction.OUT)
    assert first.granted and first.reason == Reason.EXIT
    second = await runtime.verify(east, Credential.code(used.code), direction=Direction.OUT)
    assert not second.granted and second.reason == Reason.USED

    # Expired without ever coming in: no exit either.
    clock.advance(timedelta(hours=2))
    d = await runtime.verify(east, Credential.code(expired.code), direction=Direction.OUT)
    assert not d.granted and d.reason == Reason.EXPIRED


async def test_a_visit_that_outlasts_its_pass_can_still_leave(session, site, runtime, clock):
    east = await _gate(runtime, site)
    stays = await visitor_pass(session, site, clock.now(), hours=1)
    assert (await runtime.verify(east, Credential.code(stays.code))).granted
    clock.advance(timedelta(hours=3))
    assert (await runtime.verify(east, Credential.code(stays.code))).reason == Reason.EXPIRED
    d = await runtime.verify(east, Credential.code(stays.code), direction=Direction.OUT)
    assert d.granted and d.reason == Reason.EXIT
    d = await runtime.verify(east, Credential.code(stays.code), direction=Direction.OUT)
    assert not d.granted


async def test_a_gate_serves_only_its_direction(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now(), multi=True)
    await session.execute(
        update(Gate).where(Gate.id == site.gate_ids["东门"]).values(direction=GateDirection.IN)
    )
    await session.execute(
        update(Gate).where(Gate.id == site.gate_ids["北门"]).values(direction=GateDirection.OUT)
    )
    await session.commit()
    entry_only = await _gate(runtime, site, "东门")
    exit_only = await _gate(runtime, site, "北门")

    d = await runtime.verify(entry_only, Credential.code(issued.code), direction=Direction.OUT)
    assert not d.granted and d.reason == Reason.NOT_ALLOWED
    d = await runtime.verify(exit_only, Credential.code(issued.code))
    assert not d.granted and d.reason == Reason.NOT_ALLOWED
    # Not guesses, and nothing was spent.
    assert (await runtime.verify(entry_only, Credential.code(issued.code))).granted
    d = await runtime.verify(exit_only, Credential.code(issued.code), direction=Direction.OUT)
    assert d.granted and d.reason == Reason.EXIT


async def test_an_ended_tenancy_ends_its_visitors_passes_at_once(session, site, runtime, clock):
    """The hourly job has not run yet: the residency still says active, but its end
    date has passed in the community's time zone."""
    east = await _gate(runtime, site)
    issued = await visitor_pass(session, site, clock.now(), multi=True, hours=48)
    assert (await runtime.verify(east, Credential.code(issued.code))).granted

    yesterday = (clock.now() + timedelta(hours=8)).date() - timedelta(days=1)
    await session.execute(
        update(Residency).where(Residency.person_id == site.host.id).values(end_date=yesterday)
    )
    await session.commit()

    for credential in (Credential.code(issued.code), Credential.qr(issued.token)):
        d = await runtime.verify(east, credential)
        assert not d.granted and d.reason == Reason.REVOKED
    d = await runtime.open_gate(east.id, site.host.id, Method.REMOTE)
    assert d is not None and not d.granted and d.reason == Reason.NOT_ALLOWED
    # The visitor who is inside may still leave.
    d = await runtime.verify(east, Credential.code(issued.code), direction=Direction.OUT)
    assert d.granted and d.reason == Reason.EXIT
