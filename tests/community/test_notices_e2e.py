"""Notices end to end: a manager composes in the admin group, residents receive,
press "Got it", list their notices; staff see the figures."""

from __future__ import annotations

from handlers.community.jobs import run_notices
from tests.community.conftest import MANAGER_ID
from tests.harness import idle


async def _one_language(group) -> None:
    msg = await group.expect("in the other language too")
    await group.press(msg, "One language only ➡️", from_user=MANAGER_ID)


async def test_outage_notice_to_one_building(running_bot, emulator, world, session):
    group = world.group
    await group.send(MANAGER_ID, "/notice")
    msg = await group.expect("What kind is it?")
    await group.press(msg, "🚰 Outage", from_user=MANAGER_ID)
    msg = await group.expect("Who should receive it?")
    await group.press(msg, "Every resident", from_user=MANAGER_ID)
    await group.expect("Which buildings?")
    await group.send(MANAGER_ID, "9栋")
    unknown = await group.expect("I don't know 9栋")
    assert "1栋" in unknown["text"] and "3栋" in unknown["text"]
    await group.send(MANAGER_ID, "1栋")
    await group.expect("When is the outage?")
    await group.send(MANAGER_ID, "tomorrow")
    await group.expect("I could not read that")
    await group.send(MANAGER_ID, "2030-12-04 09:00 - 17:00")
    await group.expect("The title")
    await group.send(MANAGER_ID, "Water off in 1栋")
    await group.expect("Now the text")
    await group.send(MANAGER_ID, "Pipe repairs. Please store water.")
    await _one_language(group)
    msg = await group.expect("Add a photo or a PDF")
    await group.press(msg, "No attachment ➡️", from_user=MANAGER_ID)
    preview = await group.expect("Outage: Water off in 1栋")
    assert "From Dec 4, 2030 09:00 to Dec 4, 2030 17:00" in preview["text"]
    confirm = await group.expect("This is the notice as residents will see it")
    assert "every resident of 1栋. Recipients now: 2" in confirm["text"]
    await group.press(confirm, "📤 Send now", from_user=MANAGER_ID)
    await group.expect("Notice #1 is on its way (recipients: 2)")
    await idle(running_bot)

    assert await run_notices(running_bot.ctx) == 1
    got = await world.owner.expect("Outage: Water off in 1栋")
    assert got["text"] == preview["text"]
    await world.tenant.expect_nothing(within=0.3)
    report = await group.expect("Notice #1 “Water off in 1栋” is sent: delivered 1 of 2")
    assert "1 could not be reached" in report["text"]

    # Run again (a restart): nobody gets it twice.
    assert await run_notices(running_bot.ctx) == 0
    await world.owner.expect_nothing(within=0.3, text_contains="Water off")

    await world.owner.press(got, "✅ Got it")
    await world.owner.expect_edit(got)
    await idle(running_bot)
    await group.press(report, "📊 Delivery by building", from_user=MANAGER_ID)
    figures = await group.expect("📊 Notice #1")
    assert "Delivered 1 of 2 · read 1 · failed 1" in figures["text"]
    assert "1栋: delivered 1/2, read 1, failed 1" in figures["text"]
    assert "Qian Blocked: blocked the bot" in figures["text"]

    # The resident finds it in the home menu's notices.
    await world.owner.send("/notices")
    listing = await world.owner.expect("Current notices")
    await world.owner.press(listing, "🚰 Water off in 1栋")
    again = await world.owner.expect("Outage: Water off in 1栋")
    assert again["text"] == preview["text"]


async def test_emergency_is_pinned_and_empty_audience_refused(running_bot, emulator, world):
    group = world.group
    await group.send(MANAGER_ID, "/notice")
    msg = await group.expect("What kind is it?")
    await group.press(msg, "🚨 Emergency", from_user=MANAGER_ID)
    msg = await group.expect("Who should receive it?")
    await group.press(msg, "Tenants only", from_user=MANAGER_ID)
    await group.expect("Which buildings?")
    await group.send(MANAGER_ID, "1栋")  # no tenant lives in 1栋
    await group.expect("The title")
    await group.send(MANAGER_ID, "Gas leak")
    await group.expect("Now the text")
    await group.send(MANAGER_ID, "Leave the building now.")
    await _one_language(group)
    msg = await group.expect("Add a photo or a PDF")
    await group.press(msg, "No attachment ➡️", from_user=MANAGER_ID)
    confirm = await group.expect("This is the notice as residents will see it")
    assert "Recipients now: 0" in confirm["text"]
    await group.press(confirm, "📤 Send now", from_user=MANAGER_ID)
    await group.expect("Nobody in that audience lives in the community now")

    await group.send(MANAGER_ID, "/notice")
    msg = await group.expect("What kind is it?")
    await group.press(msg, "🚨 Emergency", from_user=MANAGER_ID)
    msg = await group.expect("Who should receive it?")
    await group.press(msg, "Tenants only", from_user=MANAGER_ID)
    msg = await group.expect("Which buildings?")
    await group.press(msg, "🏘 Whole community", from_user=MANAGER_ID)
    await group.expect("The title")
    await group.send(MANAGER_ID, "Gas leak")
    await group.expect("Now the text")
    await group.send(MANAGER_ID, "Leave the building now.")
    await _one_language(group)
    msg = await group.expect("Add a photo or a PDF")
    await group.press(msg, "No attachment ➡️", from_user=MANAGER_ID)
    confirm = await group.expect("This is the notice as residents will see it")
    await group.press(confirm, "📤 Send now", from_user=MANAGER_ID)
    await group.expect("on its way (recipients: 1)")
    await idle(running_bot)
    await run_notices(running_bot.ctx)
    got = await world.tenant.expect("Emergency: Gas leak")
    assert [m["message_id"] for m in world.tenant.pinned] == [got["message_id"]]
    await world.owner.expect_nothing(within=0.2, text_contains="Gas leak")


async def test_an_outage_is_extended_and_its_end_told_once(running_bot, emulator, world, session):
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from core.community import broadcast
    from core.community.models import Audience, NoticeKind
    from core.community.notices import NoticeDraft, create_notice

    now = datetime.now(UTC)
    draft = NoticeDraft(
        NoticeKind.OUTAGE,
        Audience.ALL,
        "Power off",
        "Transformer work.",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    await create_notice(
        session,
        community_id=world.community.id,
        author_person_id=None,
        draft=draft,
        send_at=now,
        now=now,
        today=now.date(),
    )
    await session.commit()
    await run_notices(running_bot.ctx)
    await world.owner.expect("Outage: Power off")
    group = world.group
    await group.expect("Notice #1")

    await group.send(MANAGER_ID, "/extend 1 soon")
    await group.expect("Send /extend with the notice number and the new end")
    await group.send(MANAGER_ID, "/extend 1 2020-01-01 10:00")
    await group.expect("The new end must be later")
    later = (now + timedelta(hours=30)).astimezone(ZoneInfo("Asia/Shanghai"))
    await group.send(MANAGER_ID, f"/extend 1 {later:%Y-%m-%d %H:%M}")
    await group.expect("The outage is extended: notice #2 goes to 2 residents.")
    await idle(running_bot)
    await run_notices(running_bot.ctx)
    extended = await world.owner.expect("Outage extended: Power off")
    assert f"{later:%H:%M}" in extended["text"]
    # The first notice's end word is not sent; the extension's comes at its end.
    await broadcast.start_due(running_bot.ctx.session_factory, now + timedelta(hours=2))
    await run_notices(running_bot.ctx)
    await world.owner.expect_nothing(within=0.3, text_contains="has ended")
    # At the new end, the extension's end word comes, once.
    await broadcast.start_due(running_bot.ctx.session_factory, now + timedelta(hours=31))
    await run_notices(running_bot.ctx)
    await world.owner.expect("✅ Over: Power off has ended.")
    await broadcast.start_due(running_bot.ctx.session_factory, now + timedelta(hours=32))
    await run_notices(running_bot.ctx)
    await world.owner.expect_nothing(within=0.3, text_contains="has ended")


async def test_a_photo_notice_sent_at_a_set_time(settings, emulator, world):
    from datetime import UTC, datetime, timedelta

    from core.clock import FrozenClock
    from tests.harness import start_bot
    from tests.tickets.conftest import jpeg

    clock = FrozenClock(datetime(2030, 12, 3, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/notice")
        await group.press(await group.expect("What kind is it?"), "📢 Notice", from_user=MANAGER_ID)
        msg = await group.expect("Who should receive it?")
        await group.press(msg, "Owners only", from_user=MANAGER_ID)
        msg = await group.expect("Which buildings?")
        await group.press(msg, "🏘 Whole community", from_user=MANAGER_ID)
        await group.expect("The title")
        await group.send(MANAGER_ID, "Garden day")
        await group.expect("Now the text")
        await group.send(MANAGER_ID, "y" * 801)
        await _one_language(group)
        await group.expect("Add a photo or a PDF")
        await group.send_photo(MANAGER_ID, jpeg(), "")
        await group.expect("With a photo or a PDF the text can be at most 800 characters")
        await group.send(MANAGER_ID, "/notice")  # start again, shorter
        await group.press(await group.expect("What kind is it?"), "📢 Notice", from_user=MANAGER_ID)
        msg = await group.expect("Who should receive it?")
        await group.press(msg, "Owners only", from_user=MANAGER_ID)
        msg = await group.expect("Which buildings?")
        await group.press(msg, "🏘 Whole community", from_user=MANAGER_ID)
        await group.expect("The title")
        await group.send(MANAGER_ID, "Garden day")
        await group.expect("Now the text")
        await group.send(MANAGER_ID, "Planting on Saturday.")
        await _one_language(group)
        await group.expect("Add a photo or a PDF")
        await group.send_photo(MANAGER_ID, jpeg(), "")
        preview = await group.expect(photo=True)
        assert "Notice: Garden day" in preview["caption"]
        confirm = await group.expect("Recipients now: 2")  # the two owners
        await group.press(confirm, "🕒 Send at a time…", from_user=MANAGER_ID)
        await group.expect("When should it go out?")
        await group.send(MANAGER_ID, "2030-12-03 09:00")
        await group.expect("Please send a time in the next 60 days")
        await group.send(MANAGER_ID, "2030-12-03 18:00")
        await group.expect("will go out at Dec 3, 2030 18:00 (recipients now: 2)")
        await idle(app)
        assert await run_notices(app.ctx) == 0
        clock.advance(timedelta(hours=8))
        assert await run_notices(app.ctx) == 1  # the other owner blocked the bot
        got = await world.owner.expect(photo=True)
        assert "Garden day" in got["caption"]
        await world.tenant.expect_nothing(within=0.2, text_contains="Garden")
