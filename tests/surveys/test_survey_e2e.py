"""The yearly survey end to end: a manager opens it from the template, residents
are told, a resident answers all four kinds of question (ratings, one choice,
several choices with ticks, free text too long then right) and signs, staff see the
results with a chart and a PDF, the household that has not answered is reminded,
and after the deadline the survey answers "closed" and the results are posted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import FrozenClock
from handlers.surveys.jobs import run_surveys
from tests.community.conftest import MANAGER_ID
from tests.harness import idle, start_bot

pytestmark = pytest.mark.slow


async def test_yearly_survey_from_template_to_results(settings, emulator, world):
    clock = FrozenClock(datetime(2030, 12, 10, 2, 0, tzinfo=UTC))
    group, owner, tenant = world.group, world.owner, world.tenant
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/survey")
        msg = await group.expect("A new survey of the households")
        await group.press(msg, "📋 Yearly property-service survey (template)", from_user=MANAGER_ID)
        await group.expect("When does the survey close?")
        await group.send(MANAGER_ID, "2031-06-01 18:00")
        await group.expect("Please send a time in the next 90 days")
        await group.send(MANAGER_ID, "2030-12-20 18:00")
        check = await group.expect("Check the yearly property-service survey")
        assert "How satisfied are you with Greening?" in check["text"]
        await group.press(check, "📨 Open the survey", from_user=MANAGER_ID)
        await group.expect("Survey #1 is open to 3 households")
        await idle(app)

        await run_surveys(app.ctx)
        told = await owner.expect("Property-service survey 2030")
        assert "9 questions" in told["text"]
        await group.expect("1 residents could not be reached")
        await owner.press(told, "✏️ Answer now")
        card = await owner.expect("one answer per household")
        await owner.press(card, "✏️ Answer for 1栋-101")
        for n, stars in enumerate(["5★", "4★", "3★", "4★", "2★", "4★"], start=1):
            question = await owner.expect(f"Question {n} of 9")
            await owner.press(question, stars)
        renew = await owner.expect("Question 7 of 9")
        # An answered question's buttons are taken away.
        assert not owner.get(question).get("reply_markup")
        await owner.press(renew, "Yes")
        pick = await owner.expect("Question 8 of 9")
        answer = await owner.press(pick, "✔ Done")
        assert answer["text"] == "Tick at least one, then ✔ Done."
        await owner.press(pick, "⬜ Repairs")
        await owner.press(pick, "⬜ Fees and accounts")
        await owner.press(pick, "✅ Fees and accounts")
        await owner.press(pick, "✔ Done")
        await owner.expect("Question 9 of 9")
        await owner.send("x" * 1001)
        await owner.expect("That is too long: at most 1000 characters")
        await owner.send("The lift in 1栋 is slow.")
        summary = await owner.expect("Your answers:")
        assert "improve f…: Repairs\n" in summary["text"]
        await owner.press(summary, "📨 Submit, signed with my name")
        await owner.expect("Thank you! Your household's answer is recorded.")
        again = await owner.press(card, "✏️ Answer for 1栋-101")  # the old card's button
        assert "Your household has already answered" in again["text"]

        await group.send(MANAGER_ID, "/surveys")
        listing = await group.expect("Latest surveys")
        await group.press(listing, "📝 #1 Property-service survey 2030", from_user=MANAGER_ID)
        results = await group.expect("Results: Property-service survey 2030")
        assert "Households answered: 1 of 3" in results["text"]
        assert "Mean rating: 3.67 of 5" in results["text"]
        assert "• Repairs: 1" in results["text"]
        await group.expect("the results as a chart", photo=True, timeout=30)
        pdf = await group.expect(document=True, timeout=30)
        assert emulator.core.files.get(pdf["document"]["file_id"]).data.startswith(b"%PDF")

        # Two days before the deadline: the tenant's household has not answered.
        clock.set(datetime(2030, 12, 18, 12, 0, tzinfo=UTC))
        await run_surveys(app.ctx)
        await tenant.expect("has not answered “Property-service survey 2030” yet")
        await owner.expect_nothing(within=0.2, text_contains="has not answered")
        tenant_card = await tenant.expect("Property-service survey 2030")  # the invitation
        clock.set(datetime(2030, 12, 20, 11, 0, tzinfo=UTC))
        await tenant.press(tenant_card, "✏️ Answer now")
        closed = await tenant.expect("This survey is closed.")
        assert "Answer for" not in str(closed.get("reply_markup"))

        assert await run_surveys(app.ctx) == [1]
        await group.expect("Results: Property-service survey 2030")
        await group.expect(photo=True, timeout=30)
        await group.expect(document=True, timeout=30)
        assert await run_surveys(app.ctx) == []
