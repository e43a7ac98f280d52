"""A notice in two languages to some units: each resident gets their own language
(the one written when theirs is not given); the outage's reminder before it
starts and its end word come in that language too; units are read by their
labels, an unknown one named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FrozenClock
from handlers.community.jobs import run_notices
from tests.community.conftest import MANAGER_ID
from tests.factories import make_resident, make_unit
from tests.harness import idle, start_bot

NOW = datetime(2030, 12, 3, 2, 0, tzinfo=UTC)
ZH_ID = 721


async def test_bilingual_outage_to_some_units(settings, emulator, world, session):
    unit = await make_unit(session, world.community, "1栋", "103")
    await make_resident(session, unit, ZH_ID, "陈女士", locale="zh_Hans")
    await session.commit()
    zh = emulator.user(ZH_ID, "陈", language_code="zh-hans")
    clock = FrozenClock(NOW)
    group, owner = world.group, world.owner
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/notice")
        await group.press(await group.expect("What kind is it?"), "🚰 Outage", from_user=MANAGER_ID)
        msg = await group.expect("Who should receive it?")
        await group.press(msg, "🚪 Some units", from_user=MANAGER_ID)
        await group.expect("Which units?")
        await group.send(MANAGER_ID, "1栋 101, 1栋 999")
        await group.expect("I could not find 1栋 999")
        await group.send(MANAGER_ID, "1栋 101、1栋-103")
        await group.expect("When is the outage?")
        await group.send(MANAGER_ID, "2030-12-04 09:00 - 17:00")
        await group.expect("The title")
        await group.send(MANAGER_ID, "1栋停水")
        await group.expect("Now the text")
        await group.send(MANAGER_ID, "水" * 3501)
        await group.expect("That is too long: at most 3500 characters")
        await group.send(MANAGER_ID, "管道检修，请提前储水。")
        await group.expect("in the other language too")
        await group.send(MANAGER_ID, "明天停水\n请储水")
        await group.expect("That is in Chinese, like the notice. Send it in English")
        await group.send(MANAGER_ID, "Water off in 1栋\nPipe repairs: please store water.")
        msg = await group.expect("Add a photo or a PDF")
        await group.press(msg, "No attachment ➡️", from_user=MANAGER_ID)
        preview = await group.expect("Outage: Water off in 1栋")  # the group reads English
        assert "Pipe repairs" in preview["text"]
        confirm = await group.expect("This is the notice as residents will see it")
        assert "the residents of 1栋 101、1栋 103. Recipients now: 2" in confirm["text"]
        await group.press(confirm, "📤 Send now", from_user=MANAGER_ID)
        await group.expect("is on its way (recipients: 2)")
        await idle(app)

        assert await run_notices(app.ctx) == 2
        got = await owner.expect("Water off in 1栋")
        assert "Pipe repairs: please store water." in got["text"] and "储水" not in got["text"]
        got_zh = await zh.expect("1栋停水")
        assert "管道检修，请提前储水。" in got_zh["text"] and "Pipe" not in got_zh["text"]
        await world.tenant.expect_nothing(within=0.2, text_contains="Water")
        await world.blocked.expect_nothing(within=0.1)

        clock.set(datetime(2030, 12, 4, 0, 0, tzinfo=UTC))  # an hour before it starts
        await run_notices(app.ctx)
        await owner.expect("⏰ Reminder: Water off in 1栋 starts soon.")
        await zh.expect("1栋停水")
        clock.advance(timedelta(hours=10))  # it is over
        await run_notices(app.ctx)
        await owner.expect("✅ Over: Water off in 1栋 has ended.")
        await zh.expect("1栋停水")
        await run_notices(app.ctx)
        await owner.expect_nothing(within=0.2, text_contains="Over")
