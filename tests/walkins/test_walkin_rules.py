"""Walk-ins and intercom calls when things do not go smoothly: refused, unanswered,
muted, too many calls, a unit nobody lives in, bad requests and forged buttons."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from access.models import AccessLogEntry
from access.walkins.models import GateWalkin, GateWalkinRing
from access.walkins.records import KEEP_CALLS
from handlers.gate.jobs import prune_calls_job, walkin_expiry_job
from tests.factories import make_unit
from tests.walkins.conftest import gate_api, press_data


async def _log(session, call_id_row: int) -> AccessLogEntry:
    await session.rollback()  # a fresh snapshot (the rows were written by the app)
    return await session.scalar(select(AccessLogEntry).where(AccessLogEntry.id == call_id_row))


async def test_refused_then_no_answer_then_muted(world, session):
    w = world
    host_id = w.host.id
    # Refuse: the terminal reads it, and cannot ring the home again at once.
    status, call = await gate_api(w, "East Gate", "POST", "calls", {"unit": "3栋1201"})
    assert status == 201 and call["kind"] == "call" and call["status"] == "ringing"
    ring = await w.resident.expect("calling 3栋-1201 on the intercom")
    await w.resident.press(ring, "✖️ Refuse")
    await w.resident.expect("Wang Xiaoming refused")
    status, polled = await gate_api(w, "East Gate", "GET", f"calls/{call['call_id']}")
    assert polled["status"] == "refused" and polled["decided_by"] == "resident"
    row = await _log(session, polled["decision_id"])
    assert not row.granted and row.reason == "refused" and row.person_id == host_id
    status, again = await gate_api(w, "East Gate", "POST", "calls", {"unit": "3-1201"})
    assert status == 429 and again["error"] == "refused_recently"
    assert 0 < again["retry_after_s"] <= 600
    door = w.app.ctx.gate.doors.existing(w.gate_ids["East Gate"])
    assert door is None or door.releases == 0

    # No answer in time: the poll says so, the guards are told, a late press is told.
    status, call = await gate_api(
        w, "North Gate", "POST", "walkins", {"unit": "3-1201", "name": "Li Si"}
    )
    ring = await w.resident.expect("Li Si")
    w.clock.advance(timedelta(seconds=61))
    status, polled = await gate_api(w, "North Gate", "GET", f"calls/{call['call_id']}")
    assert polled["status"] == "no_answer" and polled["decided_by"] == "timeout"
    alert = await w.group.expect("nobody answered in time")
    assert "Li Si" in alert["text"] and "North Gate" in alert["text"]
    row = await _log(session, polled["decision_id"])
    assert row.reason == "no_answer" and row.person_id is None and row.holder_name == "Li Si"
    closed = await w.resident.expect_edit(ring, text_contains="Nobody answered in time")
    assert not closed.get("reply_markup")
    answer = await press_data(w.resident, ring, f"wk:in:{call['call_id']}")
    assert answer is not None and answer["text"] == "This call has ended."

    # Mute from a ringing message: the next call is answered "muted" at once.
    status, call = await gate_api(w, "North Gate", "POST", "calls", {"unit": "3-1201"})
    ring = await w.resident.expect("on the intercom")
    await w.resident.press(ring, "🔕 Mute gate calls for an hour")
    muted = await w.resident.expect("are muted until")
    status, blocked = await gate_api(w, "North Gate", "POST", "calls", {"unit": "3-1201"})
    assert status == 201 and blocked["status"] == "muted"
    assert (await _log(session, blocked["decision_id"])).reason == "muted"
    await w.resident.press(muted, "🔔 Unmute")
    await w.resident.expect("are back on")

    # A month on, the calls are forgotten; what happened stays in the access log.
    w.clock.advance(KEEP_CALLS + timedelta(days=1))
    assert await walkin_expiry_job(w.app.ctx) == 1  # the muting call was still ringing
    assert await prune_calls_job(w.app.ctx) == 4
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(GateWalkin)) == 0
    assert await session.scalar(select(func.count()).select_from(GateWalkinRing)) == 0
    assert (await _log(session, blocked["decision_id"])).reason == "muted"


async def test_rate_limit_empty_unit_bad_input_and_forged_buttons(world, session):
    w = world
    for _ in range(3):
        status, call = await gate_api(w, "East Gate", "POST", "calls", {"unit": "3-1201"})
        assert status == 201 and call["status"] == "ringing"
    status, limited = await gate_api(w, "East Gate", "POST", "calls", {"unit": "3-1201"})
    assert status == 429 and limited["error"] == "rate_limited" and limited["retry_after_s"] > 0
    # Another gate's meter is its own.
    status, call = await gate_api(w, "North Gate", "POST", "calls", {"unit": "3-1201"})
    assert status == 201

    await make_unit(session, w.community, "5栋", "101")
    await session.commit()
    status, empty = await gate_api(
        w, "East Gate", "POST", "walkins", {"unit": "5-101", "name": "Wu Liu"}
    )
    assert status == 201 and empty["status"] == "no_residents"
    await w.group.expect("nobody lives there")
    assert (await _log(session, empty["decision_id"])).reason == "no_residents"

    status, body = await gate_api(w, "East Gate", "POST", "calls", {"unit": "9-999"})
    assert status == 404 and body["error"] == "unknown_unit"
    probe = await session.scalar(select(AccessLogEntry).order_by(AccessLogEntry.id.desc()).limit(1))
    assert probe is not None and probe.reason == "unknown_unit" and probe.host_unit_id is None
    for bad in (
        b"{not json",
        {"unit": "3-1201"},  # a walk-in needs the visitor's name
        {"unit": "3-1201", "name": "X", "photo": "bm90IGEganBlZw=="},
        {"unit": "3-1201", "name": "X", "photo": "%%%"},
        {"unit": "3-1201", "name": "X", "age": 3},
        {"unit": 31201, "name": "X"},
        {"unit": "3-1201", "name": "x" * 121},
    ):
        status, body = await gate_api(w, "East Gate", "POST", "walkins", bad)
        assert status == 400 and body["error"] == "malformed" and body["detail"], bad
    status, body = await gate_api(w, "East Gate", "GET", "calls/999999")
    assert status == 404
    # A call of another gate is not this gate's to read.
    status, body = await gate_api(w, "East Gate", "GET", f"calls/{call['call_id']}")
    assert status == 404

    # A household nobody can reach in the chat: the call ends at once, the guards know.
    w.resident.block_bot()
    status, call = await gate_api(
        w, "North Gate", "POST", "walkins", {"unit": "3-1201", "name": "Zhou Qi"}
    )
    await w.group.expect("could be reached")
    status, polled = await gate_api(w, "North Gate", "GET", f"calls/{call['call_id']}")
    assert polled["status"] == "no_answer" and polled["reached"] == 0
    w.resident.unblock_bot()

    ring = await w.resident.expect("on the intercom")
    for data in ("wk:in:999999", "wk:in:abc", "wk:zap:1"):
        answer = await press_data(w.resident, ring, data)
        assert answer is not None and answer["text"] == "This button is no longer active."


async def test_a_household_mutes_gate_calls_for_a_while(world):
    w = world
    await w.resident.send("/mutecalls")
    menu = await w.resident.expect("gate calls are on")
    await w.resident.press(menu, "🔕 8 hours")
    await w.resident.expect("gate calls are muted until")
    status, call = await gate_api(w, "East Gate", "POST", "calls", {"unit": "3-1201"})
    assert status == 201 and call["status"] == "muted"
    # A forged home id is refused; garbled minutes are a stale button.
    answer = await press_data(w.resident, menu, "wm:99999:60")
    assert answer is not None and answer["text"] == "That home is not yours."
    answer = await press_data(w.resident, menu, "wm:1:7")
    assert answer is not None and answer["text"] == "This button is no longer active."
    await w.resident.press(menu, "🔔 On")
    await w.resident.expect("gate calls are on")
    status, call = await gate_api(w, "East Gate", "POST", "calls", {"unit": "3-1201"})
    assert status == 201 and call["status"] == "ringing"
    await w.resident.expect("on the intercom")
