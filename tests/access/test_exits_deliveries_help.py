"""Exits, presence, delivery passes and daily help, end to end: residents and staff
through the Bot API emulator, the terminal over the real gate HTTP API (issue 18,
items 3 and 4; decision 0031)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from access.models import Pass
from access.passes import IssuedPass, issue_visitor_pass
from access.passes.rules import DAILY_HELP_SPAN, MON_TO_SAT
from access.passes.shared import invite_household, issue_daily_help_pass, join_household
from core.clock import FrozenClock
from core.models import Person, Unit
from handlers.gate.jobs import help_renewal_job
from handlers.gate.keyboards import HelpCb
from tests.access.conftest import START
from tests.access.gate_world import GUARD_ID, GateWorld, code_of, gate_world
from tests.conftest import TEST_SECRET
from tests.factories import make_resident, make_unit
from tests.harness import idle

NEIGHBOUR_ID = 532


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[GateWorld]:
    async with gate_world(session, settings, emulator, FrozenClock(START)) as w:
        yield w


async def _unit(session, w: GateWorld) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.community_id == w.community.id))
    assert unit is not None
    return unit


async def _help_and_neighbour(session, w: GateWorld, role: str) -> tuple[IssuedPass, Unit, Person]:
    """Chen Ayi's daily-help pass made by our household at START, and a neighbour
    household (Li Na, 3栋-1502, in English) that has not joined it yet."""
    unit = await _unit(session, w)
    other = await make_unit(session, w.community, "3栋", "1502")
    person, _residency = await make_resident(session, other, NEIGHBOUR_ID, "Li Na", locale="en")
    issued = await issue_daily_help_pass(
        session,
        secret_key=TEST_SECRET,
        now=START,
        host_person_id=w.host.id,
        host_unit_id=unit.id,
        role=role,
        name="Chen Ayi",
        daily_start_min=8 * 60,
        daily_end_min=18 * 60,
        weekdays=MON_TO_SAT,
        gate_ids=[],
    )
    return issued, other, person


async def test_a_delivery_pin_opens_twice_in_its_window_and_the_host_hears_each_time(world):
    w = world
    r = w.resident
    await r.send("/delivery")
    ask = await r.expect("How long may it be used?")
    await r.send("5 hours")  # longer than a delivery pass may last
    await r.expect("A delivery pass lasts from 30 to 240 minutes")
    await r.send("a while")
    await r.expect("I could not read that")
    await r.press(ask, "1 hour")
    entries = await r.expect("once, or any number of times")
    await r.send("twice")
    await r.expect("Please choose once or any number with the buttons.")
    await r.press(entries, "Any number")
    card = await r.expect("Delivery pass #")
    assert "Purpose: Delivery" in card["text"] and "Entries: multiple" in card["text"]
    code = code_of(card["text"])
    assert code is not None
    await idle(w.app)

    for _ in range(2):
        status, body = await w.terminal("East Gate", {"code": code})
        assert status == 200 and body["granted"] and body["pass_kind"] == "delivery"
        told = await r.expect("Your courier came in through East Gate")
        assert "valid until" in told["text"]
    w.clock.advance(timedelta(hours=1, minutes=1))
    _status, body = await w.terminal("East Gate", {"code": code})
    assert body["granted"] is False and body["reason"] == "expired"


async def test_daily_help_is_shared_told_to_both_and_suspended_for_one(world, session, emulator):
    w = world
    issued, _other, _person = await _help_and_neighbour(session, w, "nanny")
    await session.commit()
    neighbour = emulator.user(NEIGHBOUR_ID, "Li", language_code="en")

    # The first household invites the second, which joins for its home.
    await w.resident.send("/myhelp")
    listing = await w.resident.expect("Daily help of your household")
    assert "Chen Ayi (Nanny)" in listing["text"] and "works for you" in listing["text"]
    await w.resident.press(listing, "👪 Invite a household")
    invite = await w.resident.expect("Forward this link to the other household")
    key = re.search(r"start=(h_[A-Za-z0-9_-]+)", invite["text"])
    assert key is not None
    await neighbour.send(f"/start {key.group(1)}")
    offer = await neighbour.expect("You are invited to share the daily-help pass of Chen Ayi")
    await neighbour.press(offer, "✅ Join for 3栋-1502")
    await neighbour.expect("Your household now shares Chen Ayi")
    await w.resident.expect("Li Na's household now shares Chen Ayi")
    await neighbour.send(f"/start {key.group(1)}")  # the invitation worked once
    await neighbour.expect("This invitation is not valid any more")

    # Wednesday 10:00: in, both households are told; out, both again.
    status, body = await w.terminal("East Gate", {"code": issued.code})
    assert status == 200 and body["granted"] and body["pass_kind"] == "daily_help"
    await w.resident.expect("Chen Ayi came in through East Gate")
    await neighbour.expect("Chen Ayi came in through East Gate")
    _status, body = await w.terminal("East Gate", {"code": issued.code, "direction": "out"})
    assert body["granted"] and body["reason"] == "exit"
    await w.resident.expect("Chen Ayi left through East Gate")
    await neighbour.expect("Chen Ayi left through East Gate")

    # The neighbour suspends it for their household: the pass still works for ours.
    await neighbour.send("/myhelp")
    mine = await neighbour.expect("Daily help of your household")
    await neighbour.press(mine, "⏸ Suspend Chen Ayi")
    await neighbour.expect("is suspended for 3栋-1502")
    await idle(w.app)
    _status, body = await w.terminal("East Gate", {"code": issued.code})
    assert body["granted"] is True
    await w.resident.expect("Chen Ayi came in through East Gate")
    await neighbour.expect_nothing(within=0.5, text_contains="came in")

    # A forged button, for a pass the neighbour's household does not share: refused.
    forged = HelpCb(action="suspend", pass_id=issued.pass_id + 1000).pack()
    chat = emulator.actions.core.chat(NEIGHBOUR_ID)
    message = emulator.actions._message(chat, mine["message_id"])
    answer = await emulator.actions._callback(chat, NEIGHBOUR_ID, message, forged, True, 10.0)
    assert "not shared by your household" in str(answer)
    # Our household suspends it too: nobody keeps it, and it stops at once.
    await w.resident.press(listing, "⏸ Suspend Chen Ayi")
    await w.resident.expect("is suspended for 3栋-1201")
    await idle(w.app)
    _status, body = await w.terminal("North Gate", {"code": issued.code})
    assert body["granted"] is False and body["reason"] == "suspended"
    # Resumed by one, it works again; outside its hours (20:00) it does not.
    answer = await neighbour.press(mine, "⏸ Suspend Chen Ayi")
    assert "already suspended for your household" in str(answer)
    await neighbour.send("/myhelp")
    again = await neighbour.expect("⏸ suspended for you")
    await neighbour.press(again, "▶️ Resume Chen Ayi")
    await neighbour.expect("works again for 3栋-1502")
    await idle(w.app)
    _status, body = await w.terminal("North Gate", {"code": issued.code})
    assert body["granted"] is True
    w.clock.advance(timedelta(hours=10))
    _status, body = await w.terminal("North Gate", {"code": issued.code})
    assert body["granted"] is False and body["reason"] == "outside_hours"


async def test_an_exit_clears_presence_and_only_a_real_overstay_alerts(world, session):
    w = world
    unit = await _unit(session, w)
    codes = {}
    for name in ("Zhang San", "Wu Yi"):
        issued = await issue_visitor_pass(
            session,
            secret_key=TEST_SECRET,
            now=START,
            host_person_id=w.host.id,
            host_unit_id=unit.id,
            holder_name=name,
            purpose="Dinner",
            valid_from=START,
            valid_until=START + timedelta(hours=2),
            multi_entry=False,
            gate_ids=[],
        )
        codes[name] = issued.code
    await session.commit()
    for name, code in codes.items():
        _status, body = await w.terminal("East Gate", {"code": code})
        assert body["granted"]
        await w.resident.expect(f"{name} came in through East Gate")
    await w.group.send(GUARD_ID, "/inside")
    inside = await w.group.expect("Inside now: 2")
    assert "Zhang San · 3栋-1201 · since" in inside["text"] and "Wu Yi" in inside["text"]

    # Zhang San leaves through the exit lane: logged, and no longer inside.
    _status, body = await w.terminal("North Gate", {"code": codes["Zhang San"], "direction": "out"})
    assert body["granted"] and body["reason"] == "exit"
    await w.group.send(GUARD_ID, "/inside")
    inside = await w.group.expect("Inside now: 1")
    assert "Zhang San" not in inside["text"] and "Wu Yi" in inside["text"]
    await w.group.send(GUARD_ID, "/log")
    log = await w.group.expect("Gate log")
    assert "Zhang San" in log["text"] and "left" in log["text"]

    w.clock.advance(timedelta(hours=2, minutes=31))
    await w.app.ctx.scheduler.run_now("access.expire")
    await w.app.ctx.scheduler.run_now("access.overstay")
    host_alert = await w.resident.expect("has not been recorded leaving")
    guard_alert = await w.group.expect("has not been recorded leaving")
    assert "Wu Yi" in host_alert["text"] and "Wu Yi" in guard_alert["text"]
    assert "3栋-1201" in guard_alert["text"]
    await w.resident.expect_nothing(within=0.5, text_contains="Zhang San")
    await w.group.expect_nothing(within=0.3, text_contains="Zhang San")


async def test_a_resident_makes_daily_help_in_the_chat_with_clear_answers_to_bad_input(world):
    w = world
    r = w.resident
    await r.send("/dailyhelp")
    role = await r.expect("Who is it for?")
    await r.send("my nanny")
    await r.expect("Please choose nanny, cleaner or driver with the buttons.")
    await r.press(role, "Nanny")
    await r.expect("Their full name?")
    await r.send("Chen Ayi")
    hours = await r.expect("Daily hours?")
    await r.send("18:00-08:00")
    await r.expect("The end of the day must be after its start")
    await r.send("whenever")
    await r.expect("Please send the hours like")
    await r.press(hours, "08:00–18:00")
    days = await r.expect("On which weekdays?")
    await r.send("Mondays")
    await r.expect("Please choose the weekdays with the buttons.")
    await r.press(days, "Mon–Sat")
    gates = await r.expect("Which gates may they use?")
    await r.press(gates, "Done ➡️")
    confirm = await r.expect("Please check the pass:")
    assert "Daily help: Chen Ayi (Nanny)" in confirm["text"]
    assert "08:00–18:00, Mon–Sat" in confirm["text"]
    await r.press(confirm, "✅ Create the pass")
    card = await r.expect("Daily-help pass #")
    assert "/myhelp" in card["text"]
    code = code_of(card["text"])
    assert code is not None
    await idle(w.app)
    status, body = await w.terminal("North Gate", {"code": code})
    assert status == 200 and body["granted"] and body["holder"] == "Chen Ayi"
    await r.expect("Chen Ayi came in through North Gate")


async def test_daily_help_is_renewed_once_after_a_reminder_to_each_household(
    world, session, emulator
):
    w = world
    issued, other, person = await _help_and_neighbour(session, w, "cleaner")
    key = await invite_household(
        session,
        secret_key=TEST_SECRET,
        person_id=w.host.id,
        pass_id=issued.pass_id,
        now=START,
        today=START.date(),
    )
    await join_household(
        session,
        secret_key=TEST_SECRET,
        key=key,
        person_id=person.id,
        unit_id=other.id,
        now=START,
    )
    await session.commit()
    neighbour = emulator.user(NEIGHBOUR_ID, "Li", language_code="en")

    # A new pass shows its end and cannot be renewed yet (a forged press is told why).
    await w.resident.send("/myhelp")
    listing = await w.resident.expect("Daily help of your household")
    assert "until" in listing["text"] and "Renew" not in str(listing.get("reply_markup"))
    chat = emulator.actions.core.chat(w.resident.id)
    message = emulator.actions._message(chat, listing["message_id"])
    early = HelpCb(action="renew", pass_id=issued.pass_id).pack()
    answer = await emulator.actions._callback(chat, w.resident.id, message, early, True, 10.0)
    assert "can be renewed in its last 30 days" in str(answer)

    # Two weeks before its end both households are told, once.
    w.clock.advance(DAILY_HELP_SPAN - timedelta(days=13))
    assert await help_renewal_job(w.app.ctx) == 1
    assert await help_renewal_job(w.app.ctx) == 0
    mine = await w.resident.expect("Chen Ayi (Cleaner) ends on")
    theirs = await neighbour.expect("Chen Ayi (Cleaner) ends on")
    await w.resident.press(mine, "🔁 Renew Chen Ayi for a year")
    await w.resident.expect("daily-help pass is renewed; it now runs until")
    await neighbour.expect("The household of 3栋-1201 renewed Chen Ayi (Cleaner)")
    answer = await neighbour.press(theirs, "🔁 Renew Chen Ayi for a year")
    assert "can be renewed in its last 30 days" in str(answer)
    await session.rollback()
    row = await session.get(Pass, issued.pass_id, populate_existing=True)
    assert row.valid_until == START + 2 * DAILY_HELP_SPAN

    # Past the first year's end (a Friday, 10:00) the code still opens the gate.
    w.clock.advance(timedelta(days=14))
    status, body = await w.terminal("East Gate", {"code": issued.code})
    assert status == 200 and body["granted"], body
