"""Guessing protection per gate terminal: a guess budget that valid codes cannot
launder, and a lock-out that rings the host instead of keeping visitors out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from access.models import AccessLogEntry
from access.verification import Credential, Method, Reason
from tests.access.helpers import visitor_pass


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


async def test_five_wrong_codes_lock_the_keypad_then_one_guess_per_interval(
    session, site, runtime, clock, notifier
):
    issued = await visitor_pass(session, site, clock.now(), multi=True, hours=12)
    east = await runtime.gates.get(site.gate_ids["东门"])
    north = await runtime.gates.get(site.gate_ids["北门"])
    bad = wrong(issued.code)

    for i in range(4):
        d = await runtime.verify(east, Credential.code(bad))
        assert d.reason == Reason.UNKNOWN and d.lockout is None, i
    fifth = await runtime.verify(east, Credential.code(bad))
    assert fifth.reason == Reason.UNKNOWN and fifth.lockout is not None
    assert fifth.lockout.seconds == 720 and fifth.retry_after_s == 720
    await runtime.drain()
    assert [lk.seconds for _, lk in notifier.lockouts] == [720]

    # The right code during the lock-out: refused like any other (no oracle), logged
    # with the pass it would have opened — and its host is rung, once per 2 minutes.
    refused = await runtime.verify(east, Credential.code(issued.code))
    assert not refused.granted and refused.reason == Reason.LOCKED_OUT
    assert refused.retry_after_s == 720 and refused.pass_id is None
    row = await session.scalar(select(AccessLogEntry).where(AccessLogEntry.id == refused.log_id))
    assert row.reason == "locked_out" and row.pass_id == issued.pass_id and not row.granted
    again = await runtime.verify(east, Credential.code(issued.code))
    await runtime.drain()
    assert again.reason == Reason.LOCKED_OUT
    assert [(g.id, r.host_person_id, r.holder_name) for g, r in notifier.rings] == [
        (east.id, site.host.id, "张三")
    ]
    # A wrong code during the lock-out rings nobody.
    await runtime.verify(east, Credential.code(bad))
    await runtime.drain()
    assert len(notifier.rings) == 1

    # The host opens from the chat; another gate and a QR token are not affected.
    assert (await runtime.open_gate(east.id, site.host.id, Method.REMOTE)).granted
    assert (await runtime.verify(north, Credential.code(issued.code))).granted
    assert (await runtime.verify(east, Credential.qr(issued.token))).granted

    # Issuing new codes does not reset anything.
    await visitor_pass(session, site, clock.now())
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == Reason.LOCKED_OUT

    clock.advance(timedelta(seconds=719))
    assert (await runtime.verify(east, Credential.code(issued.code))).retry_after_s == 1
    clock.advance(timedelta(seconds=1))
    assert (await runtime.verify(east, Credential.code(issued.code))).granted

    # The budget is spent: the next wrong code locks again for one interval, and staff
    # are not alerted again for the same episode.
    d = await runtime.verify(east, Credential.code(bad))
    assert d.lockout is not None and d.lockout.seconds == 720 and d.lockout.level == 2
    await runtime.drain()
    assert len(notifier.lockouts) == 1

    # A quiet hour refills the burst; a new episode is alerted again.
    clock.advance(timedelta(hours=2))
    for _ in range(4):
        assert (await runtime.verify(east, Credential.code(bad))).lockout is None
    d = await runtime.verify(east, Credential.code(bad))
    assert d.lockout is not None and d.lockout.level == 1
    await runtime.drain()
    assert len(notifier.lockouts) == 2


async def test_a_valid_code_between_guesses_launders_nothing(session, site, runtime, clock):
    """Three hours of guessing with a valid multi-use code entered whenever it helps:
    the gate still evaluates at most its burst plus 5 wrong codes an hour."""
    issued = await visitor_pass(session, site, clock.now(), multi=True, hours=12)
    east = await runtime.gates.get(site.gate_ids["东门"])
    bad = wrong(issued.code)
    evaluated = 0
    for _step in range(3 * 3600 // 30):
        d = await runtime.verify(east, Credential.code(bad))
        evaluated += d.reason == Reason.UNKNOWN
        if d.reason == Reason.UNKNOWN:
            await runtime.verify(east, Credential.code(issued.code))
        clock.advance(timedelta(seconds=30))
    policy = runtime.policy.throttle
    assert evaluated <= policy.burst + 3 * policy.per_hour, evaluated


async def test_staff_can_clear_a_lockout(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now())
    east = await runtime.gates.get(site.gate_ids["东门"])
    for _ in range(5):
        await runtime.verify(east, Credential.code(wrong(issued.code)))
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == Reason.LOCKED_OUT
    await runtime.reset_throttle(east.id)
    assert (await runtime.verify(east, Credential.code(issued.code))).granted
