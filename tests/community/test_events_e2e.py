"""Community events end to end: a manager posts an event in the admin group, a
resident signs up for 2 and fills it, the next is waitlisted, the first cancels,
the waitlisted one gets the places and is told, staff see the attendees and
message them, the reminder comes the day before (on the test clock), and after
the start the event answers "closed"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FrozenClock
from handlers.community.event_jobs import run_events
from handlers.community.jobs import run_notices
from tests.community.conftest import MANAGER_ID
from tests.harness import idle, start_bot

NOW = datetime(2030, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
STARTS = datetime(2030, 12, 10, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai


async def _post_event(group) -> None:
    await group.send(MANAGER_ID, "/event")
    msg = await group.expect("A new community event. Who is it for?")
    await group.press(msg, "Every resident", from_user=MANAGER_ID)
    msg = await group.expect("Which buildings?")
    await group.press(msg, "🏘 Whole community", from_user=MANAGER_ID)
    await group.expect("The event's title")
    await group.send(MANAGER_ID, "Dumpling night")
    await group.expect("When does it start?")
    await group.send(MANAGER_ID, "2030-12-01 19:00")
    await group.expect("Please send a time in the next 180 days")
    await group.send(MANAGER_ID, "2030-12-10 19:00")
    await group.expect("Where is it")
    await group.send(MANAGER_ID, "Clubhouse, 2nd floor")
    await group.expect("How many people can come in all?")
    await group.send(MANAGER_ID, "two")
    await group.expect("Please send a number from 1 to 1000")
    await group.send(MANAGER_ID, "2")
    await group.expect("Now describe the event (at most 3500 characters)")
    await group.send(MANAGER_ID, "x" * 3501)
    await group.expect("at most 3500 characters, please")
    await group.send(MANAGER_ID, "We make dumplings together. Aprons provided.")
    msg = await group.expect("Add a photo of the event")
    await group.press(msg, "No photo ➡️", from_user=MANAGER_ID)
    preview = await group.expect("Event: Dumpling night")
    assert "Dec 10, 2030 19:00" in preview["text"] and "Places: 2" in preview["text"]
    answer = await group.press(preview, "✍️ Sign up", from_user=MANAGER_ID)
    assert answer and "This is the preview" in answer["text"]
    confirm = await group.expect("This is the event as residents will see it")
    assert "Residents told now: 3" in confirm["text"]
    await group.press(confirm, "📣 Post the event", from_user=MANAGER_ID)
    await group.expect("Event #1 is posted: 3 residents are being told")


async def test_sign_up_waitlist_cancel_promote_remind(settings, emulator, world):
    clock = FrozenClock(NOW)
    group, owner, tenant = world.group, world.owner, world.tenant
    async with start_bot(settings, emulator, clock=clock) as app:
        await _post_event(group)
        await idle(app)
        assert await run_notices(app.ctx) == 2  # the third resident blocked the bot
        await group.expect("Notice #1 “Dumpling night” is sent: delivered 2 of 3")

        got = await owner.expect("Event: Dumpling night")
        await owner.press(got, "✍️ Sign up")
        seats = await owner.expect("How many people are coming to “Dumpling night”")
        await owner.press(seats, "2")
        await owner.expect("You are signed up for “Dumpling night” (2 people)")

        invite = await tenant.expect("Event: Dumpling night")
        await tenant.press(invite, "✍️ Sign up")
        await tenant.press(await tenant.expect("How many people"), "1")
        await tenant.expect("“Dumpling night” is full: you are number 1 on the waitlist")

        await owner.send("/start")  # the home menu's 🎉 Events
        await owner.press(await owner.expect("What can I do for you?"), "🎉 Events")
        listing = await owner.expect("Upcoming events")
        await owner.press(listing, "🎉 Dec 10, 2030 19:00 Dumpling night")
        card = await owner.expect("Places taken: 2 of 2 · waitlist: 1")
        assert "You are signed up for 2 people" in card["text"]
        await owner.press(card, "❌ Cancel my sign-up")
        await owner.expect("Your sign-up for “Dumpling night” is cancelled")
        await idle(app)

        assert await run_events(app.ctx) == 1
        await tenant.expect("Places freed up: you are now signed up for “Dumpling night”")
        assert await run_events(app.ctx) == 0  # told once

        await group.send(MANAGER_ID, "/events")
        events = await group.expect("Events — press one for its attendees")
        await group.press(events, "Dec 10, 2030 19:00 Dumpling night · 1/2", from_user=MANAGER_ID)
        roster = await group.expect("Event #1 “Dumpling night”")
        assert "Places taken: 1 of 2 · waitlist: 0" in roster["text"]
        assert "1. Zhao Tenant — 1 people" in roster["text"]
        await group.press(roster, "✉️ Message the attendees", from_user=MANAGER_ID)
        await group.expect("Send the message for everyone with a place")
        await group.send(MANAGER_ID, "Please bring your own bowl.")
        await group.expect("Message #2 goes to 1 attendees")
        await idle(app)
        assert await run_notices(app.ctx) == 1
        note = await tenant.expect("Please bring your own bowl.")
        assert "Dumpling night" in note["text"]
        await group.expect("Notice #2 “Dumpling night” is sent: delivered 1 of 1")
        await owner.expect_nothing(within=0.2, text_contains="bowl")

        clock.advance(STARTS - NOW - timedelta(hours=30))
        assert await run_events(app.ctx) == 0  # not yet the day before
        clock.advance(timedelta(hours=8))
        assert await run_events(app.ctx) == 1
        reminder = await tenant.expect("⏰ Tomorrow: “Dumpling night”")
        assert "Clubhouse, 2nd floor" in reminder["text"]
        assert await run_events(app.ctx) == 0  # once
        await owner.expect_nothing(within=0.2, text_contains="Tomorrow")

        clock.advance(timedelta(days=1))
        answer = await tenant.press(invite, "✍️ Sign up")
        assert answer and "already started: sign-up is closed" in answer["text"]


async def test_forged_event_buttons_are_refused_and_audited(running_bot, emulator, world, session):
    from sqlalchemy import select

    from core.community.events import EventDraft, post_event
    from core.models import AuditEntry
    from handlers.community.event_views import EventCb, EventStaffCb
    from tests.factories import make_community, make_resident, make_unit

    other = await make_community(session, "Other Garden")
    unit = await make_unit(session, other, "9栋", "901")
    await make_resident(session, unit, 7990, "Someone Else")
    now = datetime.now(UTC)
    draft = EventDraft("Other party", "Not yours.", "Elsewhere", now + timedelta(days=2), 5)
    event, _ = await post_event(
        session,
        community_id=other.id,
        author_person_id=None,
        draft=draft,
        now=now,
        today=now.date(),
    )
    await session.commit()

    owner, group = world.owner, world.group
    await owner.send("/events")
    home = await owner.expect("There are no upcoming events")
    await group.send(MANAGER_ID, "/events")
    staff_msg = await group.expect("No events yet")
    actions = emulator.actions
    for chat_id, user_id, msg, data, refusal in (
        (
            owner.id,
            owner.id,
            home,
            EventCb(action="seats", event_id=event.id, value=1).pack(),
            "This event is not open to you.",
        ),
        (
            group.id,
            MANAGER_ID,
            staff_msg,
            EventStaffCb(action="list", event_id=event.id).pack(),
            "There is no such event in this community.",
        ),
    ):
        chat = actions.core.chat(chat_id)
        answer = await actions._callback(
            chat, user_id, actions._message(chat, msg["message_id"]), data, True, 5.0
        )
        assert answer is not None and answer["text"] == refusal
    await idle(running_bot)
    rows = (await session.scalars(select(AuditEntry).where(AuditEntry.allowed.is_(False)))).all()
    assert {(r.action, r.target_id) for r in rows} == {
        ("events.sign_up", str(event.id)),
        ("events.view", str(event.id)),
    }
