"""The monthly scorecard reaches residents once (message, chart, PDF, their
language), the admin group hears who got it, and residents open it from the
home menu; managers see the week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FrozenClock
from handlers.scorecard.jobs import publish_job
from tests.factories import make_resident, make_unit
from tests.harness import idle, start_bot
from tests.patrols.conftest import MANAGER_ID, RESIDENT_ID, world  # noqa: F401

# 2027-01-01 10:00 in Shanghai: December's scorecard is due.
NEW_YEAR = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)


async def test_published_once_and_in_the_menu(settings, emulator, world, session):  # noqa: F811
    # A second resident has blocked the bot: the office is told who was not reached.
    unit = await make_unit(session, world.community, "3栋", "1202")
    await make_resident(session, unit, 706, "Chen Blocked", locale="en")
    await session.commit()
    emulator.user(706, "Chen", language_code="en").block_bot()
    clock = FrozenClock(NEW_YEAR - timedelta(hours=3))  # 07:00 local: not yet
    group = world.group
    resident = emulator.user(RESIDENT_ID)
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/equipment_add Gate light | street_light | Gate")
        await group.expect("Added")
        await group.send(MANAGER_ID, "/scorecard week")
        week = await group.expect("The office's scorecard")
        assert "Fire lanes and lights: the month so far." in week["text"]
        assert "Complaints resolved: — (0 of 0)" in week["text"]
        await idle(app)

        assert await publish_job(app.ctx) == 0  # before 09:00 local
        clock.set(NEW_YEAR)
        assert await publish_job(app.ctx) == 1
        card = await resident.expect("The office's scorecard, 2026-12")
        assert "Patrol rounds completed: — (0 of 0)" in card["text"]
        assert "Accounts published on schedule: —" in card["text"]
        assert "nothing is typed in" in card["text"]
        await resident.expect(photo=True)
        pdf = await resident.expect(document=True)
        assert pdf["document"]["file_name"] == "scorecard-2026-12.pdf"
        summary = await group.expect("The scorecard of 2026-12 was sent; residents who got it: 1.")
        assert "Could not reach (the bot is blocked): Chen Blocked" in summary["text"]

        # A second run (or a second process) sends nothing again.
        assert await publish_job(app.ctx) == 0
        await resident.expect_nothing(within=0.3, text_contains="scorecard")

        # The resident opens it from the home menu at any time.
        await resident.send("/start")
        home = await resident.expect(button="📊 Office scorecard")
        await resident.press(home, "📊 Office scorecard")
        again = await resident.expect("The office's scorecard, 2026-12")
        assert again["text"] == card["text"]
        await resident.expect(document=True)

        # Someone who lives nowhere is told what it is for.
        stranger = emulator.user(799, "Stranger", language_code="en")
        await stranger.send("/office_scorecard")
        await stranger.expect("for residents of a community")
