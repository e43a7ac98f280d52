"""The steps both pass conversations share (handlers/gate/pass_steps.py and
gate_step.py), end to end: a resident of two homes picks one, a command or a too long
answer is re-asked without leaving the step, a window beyond the service's limits is
refused with those limits, and Cancel leaves nothing behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from access.models import Pass
from access.passes import MAX_VISITOR_ADVANCE, MAX_VISITOR_WINDOW, NAME_MAX_LEN
from core.clock import FrozenClock
from core.db import utcnow
from core.models import Residency, ResidencyRole, ResidencyStatus
from tests.access.conftest import START
from tests.access.gate_world import GateWorld, gate_world
from tests.factories import make_unit
from tests.harness import idle


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[GateWorld]:
    async with gate_world(session, settings, emulator, FrozenClock(START)) as w:
        yield w


async def test_a_resident_of_two_homes_picks_one(world, session):
    w = world
    second = await make_unit(session, w.community, "5栋", "0302")
    session.add(
        Residency(
            person_id=w.host.id,
            unit_id=second.id,
            role=ResidencyRole.TENANT,
            status=ResidencyStatus.ACTIVE,
            start_date=START.date(),
            decided_at=utcnow(),
        )
    )
    await session.commit()

    await w.resident.send("/invite")
    which = await w.resident.expect("For which home?")
    assert [b["text"] for row in which["reply_markup"]["inline_keyboard"] for b in row] == [
        "🏠 3栋-1201",
        "🏠 5栋-0302",
        "✖️ Cancel",
    ]
    await w.resident.send("hello")
    await w.resident.expect("Please choose the home with the buttons above")
    await w.resident.press(which, "🏠 5栋-0302")
    await w.resident.expect("Inviting a visitor to 5栋-0302")


async def test_answers_that_are_not_answers_are_asked_again(world):
    r = world.resident
    await r.send("/invite")
    await r.expect("What is the visitor's name?")
    # A command is not a name: the step stays.
    await r.send("/passhistory")
    await r.expect("Please send the visitor's name as text, or press Skip.")
    await r.send("Z" * (NAME_MAX_LEN + 1))
    await r.expect(f"at most {NAME_MAX_LEN} characters")
    await r.send("  Zhang   San ")
    await r.expect("What is the purpose of the visit?")
    await r.send("x")
    await r.expect("at least 2 characters")
    await r.send("Dinner")
    window = await r.expect("When may the visitor come in?")
    await r.press(window, "🗓 Custom…")
    await r.expect(f"up to {MAX_VISITOR_WINDOW.days} days long")
    await r.send("2026-11-26 09:00 - 2026-12-04 18:00")
    await r.expect(f"at most {MAX_VISITOR_WINDOW.days} days. Please send a shorter window.")
    await r.send("2027-02-01 09:00 - 18:00")
    await r.expect(f"at most {MAX_VISITOR_ADVANCE.days} days ahead")
    await r.send("2026-11-20 09:00 - 18:00")
    await r.expect("That window is already over")
    await r.send("2026-11-26 18:00 - 09:00")
    await r.expect("The end must be after the start")
    await r.send("2026-11-26 09:00 - 18:00")
    await r.expect("Single entry, or any number")


async def test_cancel_saves_nothing(world, session):
    w = world
    r = w.resident
    await r.send("/workerpass")
    kind = await r.expect("What kind of work?")
    await r.press(kind, "Delivery")
    name = await r.expect("The worker's full name?")
    await r.press(name, "✖️ Cancel")
    await r.expect("Cancelled. Nothing was saved.")
    await idle(w.app)
    assert await session.scalar(select(func.count()).select_from(Pass)) == 0
