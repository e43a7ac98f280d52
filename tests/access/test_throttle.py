"""Guessing protection per gate terminal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from access.models import AccessLogEntry
from access.verification import Credential, Reason
from tests.access.helpers import visitor_pass


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


async def test_five_wrong_codes_lock_the_terminal_and_doubling(
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
    assert fifth.lockout.seconds == 30 and fifth.retry_after_s == 30
    await runtime.drain()
    assert [lk.seconds for _, lk in notifier.lockouts] == [30]

    # Correct code during the lock-out: refused, logged with the pass it would have opened.
    refused = await runtime.verify(east, Credential.code(issued.code))
    assert not refused.granted and refused.reason == Reason.LOCKED_OUT
    assert refused.retry_after_s == 30
    row = await session.scalar(select(AccessLogEntry).where(AccessLogEntry.id == refused.log_id))
    assert row.reason == "locked_out" and row.pass_id == issued.pass_id and not row.granted

    # Another terminal is not affected; a QR token (not guessable) still works here.
    assert (await runtime.verify(north, Credential.code(issued.code))).granted
    assert (await runtime.verify(east, Credential.qr(issued.token))).granted

    # Issuing new codes does not reset anything.
    await visitor_pass(session, site, clock.now())
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == Reason.LOCKED_OUT

    clock.advance(timedelta(seconds=29))
    assert (await runtime.verify(east, Credential.code(issued.code))).retry_after_s == 1
    clock.advance(timedelta(seconds=1))
    assert (await runtime.verify(east, Credential.code(issued.code))).granted

    # The next lock-out within the hour doubles: 60 s, then 120 s …
    seconds = []
    for _ in range(8):
        for _ in range(5):
            d = await runtime.verify(east, Credential.code(bad))
        assert d.lockout is not None
        seconds.append(d.lockout.seconds)
        clock.advance(timedelta(seconds=d.lockout.seconds))
    assert seconds == [60, 120, 240, 480, 960, 1920, 3600, 3600]

    # A quiet hour after the last lock-out starts over at 30 s.
    clock.advance(timedelta(hours=1, seconds=1))
    for _ in range(5):
        d = await runtime.verify(east, Credential.code(bad))
    assert d.lockout.seconds == 30


async def test_interleaved_correct_codes_do_not_defeat_the_window(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now(), multi=True, hours=12)
    east = await runtime.gates.get(site.gate_ids["东门"])
    bad = wrong(issued.code)
    locked = False
    for _round in range(10):
        for _ in range(4):
            d = await runtime.verify(east, Credential.code(bad))
            locked = locked or d.lockout is not None
        await runtime.verify(east, Credential.code(issued.code))
        clock.advance(timedelta(seconds=5))
    assert locked, "20 wrong codes in 15 minutes lock the terminal even with correct ones between"


async def test_staff_can_clear_a_lockout(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now())
    east = await runtime.gates.get(site.gate_ids["东门"])
    for _ in range(5):
        await runtime.verify(east, Credential.code(wrong(issued.code)))
    assert (await runtime.verify(east, Credential.code(issued.code))).reason == Reason.LOCKED_OUT
    await runtime.reset_throttle(east.id)
    assert (await runtime.verify(east, Credential.code(issued.code))).granted
