"""Owners' votes end to end: a manager opens a secret vote, owners are told, an
owner casts the unit's ballot, the co-owner sees it, a tenant cannot vote, staff see
the turnout only, and at the deadline the result goes to every owner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.clock import FrozenClock
from core.models import Unit
from handlers.community.jobs import run_notices
from handlers.community.vote_jobs import run_votes
from tests.community.conftest import MANAGER_ID
from tests.factories import make_resident
from tests.harness import idle, start_bot

CO_OWNER_ID = 714

pytestmark = pytest.mark.slow  # the result's chart and PDF to every owner


async def test_secret_vote_from_opening_to_result(settings, emulator, world, session):
    unit = await session.scalar(select(Unit).where(Unit.number == "101"))
    await make_resident(session, unit, CO_OWNER_ID, "Wang Wife", locale="en")
    await session.commit()
    co_owner = emulator.user(CO_OWNER_ID, "Wife", language_code="en")
    clock = FrozenClock(datetime(2030, 12, 10, 2, 0, tzinfo=UTC))
    group, owner = world.group, world.owner
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/vote")
        await group.expect("What is the question?")
        await group.send(MANAGER_ID, "Repaint the corridors this spring?")
        msg = await group.expect("What kind of matter is it?")
        await group.press(msg, "Ordinary matter", from_user=MANAGER_ID)
        msg = await group.expect("Secret or open ballot?")
        await group.press(msg, "🔒 Secret", from_user=MANAGER_ID)
        msg = await group.expect("Which buildings vote?")
        await group.press(msg, "🏘 Whole community", from_user=MANAGER_ID)
        await group.expect("When does voting close?")
        await group.send(MANAGER_ID, "2030-12-01 18:00")
        await group.expect("Please send a future time")
        await group.send(MANAGER_ID, "2030-12-20 18:00")
        check = await group.expect("Check the vote")
        assert "more than half of the participating area" in check["text"]
        await group.press(check, "🗳 Open the vote", from_user=MANAGER_ID)
        # 1栋-101 (two owners) and 1栋-102; 3栋-301 has only a tenant.
        await group.expect("Vote #1 is open: 2 units entitled; 3 owners are being told.")
        await idle(app)

        await run_notices(app.ctx)
        told = await owner.expect("Owners' vote #1")
        assert "Secret ballot" in told["text"] and "at least ⅔ of the floor area" in told["text"]
        await world.tenant.expect_nothing(within=0.2, text_contains="vote")
        await owner.press(told, "🗳 Vote now")
        card = await owner.expect("1栋-101: not voted yet")
        await owner.press(card, "1栋-101 ✅ Agree")
        confirm = await owner.expect("Cast ✅ Agree for your unit?")
        await owner.press(confirm, "🗳 Confirm")
        cast = await owner.expect("1栋-101: ✅ Agree — cast by Wang Owner")
        assert not cast.get("reply_markup", {}).get("inline_keyboard")

        wife_told = await co_owner.expect("Owners' vote #1")
        await co_owner.press(wife_told, "🗳 Vote now")
        await co_owner.expect("1栋-101: ✅ Agree — cast by Wang Owner")
        # The owner's old confirm button cannot cast a second ballot for the unit.
        answer = await owner.press(confirm, "🗳 Confirm")
        assert "already cast this unit's ballot" in answer["text"]

        await world.tenant.send("/votes")
        await world.tenant.expect("Owners' votes are for owners of a unit.")

        await group.send(MANAGER_ID, "/votes")
        listing = await group.expect("Latest votes")
        await group.press(listing, "🗳 #1 Repaint the corridors this spring?", from_user=MANAGER_ID)
        turnout = await group.expect("Turnout by area")
        assert "Turnout by owners: 1 of 2 owners (50.0%)" in turnout["text"]
        assert "Secret ballot: the choices are counted at the deadline" in turnout["text"]
        assert "Agree" not in turnout["text"]

        # A day before the deadline: the unit that has not voted is reminded.
        clock.set(datetime(2030, 12, 19, 12, 0, tzinfo=UTC))
        await run_votes(app.ctx)
        await run_notices(app.ctx)
        await world.blocked.expect_nothing(within=0.1)
        await owner.expect_nothing(within=0.2, text_contains="has not voted")

        clock.set(datetime(2030, 12, 20, 11, 0, tzinfo=UTC))
        await owner.press(card, "1栋-101 ❌ Against")
        late = await owner.expect("Cast ❌ Against")
        answer = await owner.press(late, "🗳 Confirm")
        assert answer["text"] == "This vote is closed."

        assert await run_votes(app.ctx) == [1]
        posted = await group.expect("Result of owners' vote #1: ❌ NOT PASSED")
        assert "Too few owners took part" in posted["text"]
        await run_notices(app.ctx)
        result = await owner.expect("Result of owners' vote #1")
        assert "✅ Agree: 1 owners, 1 units, 89.50 m²" in result["text"]
        await co_owner.expect("Result of owners' vote #1")
        # Every owner also gets the chart and the PDF tally, once.
        await owner.expect("The tally of vote #1: chart and PDF", photo=True, timeout=30)
        pdf = await owner.expect(document=True, timeout=30)
        assert emulator.core.files.get(pdf["document"]["file_id"]).data.startswith(b"%PDF")
        await run_votes(app.ctx)
        await owner.expect_nothing(within=0.2, text_contains="chart and PDF")
