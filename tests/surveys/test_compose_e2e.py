"""A manager writes their own questionnaire (a choice with options, a free-text
question), a resident answers it, and the results count the option."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import FrozenClock
from handlers.surveys.jobs import run_surveys
from tests.community.conftest import MANAGER_ID
from tests.harness import idle, start_bot

pytestmark = pytest.mark.slow


async def test_own_questionnaire_written_answered_and_counted(settings, emulator, world):
    clock = FrozenClock(datetime(2030, 12, 10, 2, 0, tzinfo=UTC))
    group, owner = world.group, world.owner
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/survey")
        msg = await group.expect("A new survey of the households")
        await group.press(msg, "✏️ Write my own questionnaire", from_user=MANAGER_ID)
        await group.expect("What is its title?")
        await group.send(MANAGER_ID, "Parking 2031")
        kind = await group.expect("Question 1: what kind of question?")
        await group.press(kind, "One choice", from_user=MANAGER_ID)
        await group.expect("Send the question")
        await group.send(MANAGER_ID, "Where do you park?")
        await group.expect("Send the options, one a line")
        await group.send(MANAGER_ID, "Street only")
        await group.expect("Please send 2 to 10 different options")
        await group.send(MANAGER_ID, "Street\nGarage")
        kind = await group.expect("Question 2: what kind of question?")
        await group.press(kind, "Free text", from_user=MANAGER_ID)
        await group.expect("Send the question")
        await group.send(MANAGER_ID, "Any idea for the parking?")
        done = await group.expect("Question 3: what kind of question?")
        await group.press(done, "✔ That's all: set the deadline", from_user=MANAGER_ID)
        await group.expect("When does the survey close?")
        await group.send(MANAGER_ID, "2030-12-20 18:00")
        check = await group.expect("Check the questionnaire “Parking 2031”")
        assert "1. Where do you park? (one choice)" in check["text"]
        assert "– Garage" in check["text"]
        await group.press(check, "📨 Open the survey", from_user=MANAGER_ID)
        await group.expect("Survey #1 is open to 3 households")
        await idle(app)

        await run_surveys(app.ctx)
        told = await owner.expect("Parking 2031")
        await owner.press(told, "✏️ Answer now")
        card = await owner.expect("2 questions")
        await owner.press(card, "✏️ Answer for 1栋-101")
        question = await owner.expect("Question 1 of 2")
        await owner.press(question, "Garage")
        question = await owner.expect("Question 2 of 2")
        await owner.press(question, "⏭ Skip")
        summary = await owner.expect("Your answers:")
        assert "Where do you park?: Garage" in summary["text"]
        await owner.press(summary, "📨 Submit")
        await owner.expect("Thank you! Your household's answer is recorded.")

        await group.send(MANAGER_ID, "/surveys")
        listing = await group.expect("Latest surveys")
        await group.press(listing, "📝 #1 Parking 2031", from_user=MANAGER_ID)
        results = await group.expect("Results: Parking 2031")
        assert "• Garage: 1" in results["text"] and "• Street: 0" in results["text"]
        chart = await group.expect("Parking 2031: the results as a chart", photo=True, timeout=30)
        png = emulator.core.files.get(chart["photo"][-1]["file_id"]).data
        assert png.startswith(b"\x89PNG")
