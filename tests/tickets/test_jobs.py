"""Scheduled ticket work under a controlled clock: warnings, escalations, digest, auto-close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage
from sqlalchemy import select

from core.clock import FrozenClock
from core.tickets import service
from core.tickets.models import (
    RepairCategory,
    Ticket,
    TicketEventType,
    TicketKind,
    TicketStatus,
    Urgency,
)
from handlers.tickets.deadline_jobs import run_deadline_checks
from handlers.tickets.jobs import run_auto_close, run_morning_digest, run_publisher
from tests.harness import start_bot
from tests.tickets.conftest import MANAGER_ID, RESIDENT_ID

# 09:00 in Shanghai.
T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


async def _urgent_ticket(session, world, clock) -> Ticket:
    ticket = await service.file_ticket(
        session,
        clock,
        community=world.community,
        reporter_person_id=world.resident.id,
        kind=TicketKind.REPAIR,
        category=RepairCategory.ELEVATOR,
        description="Elevator stuck between floors 5 and 6",
        urgency=Urgency.URGENT,
        unit_id=world.unit.id,
    )
    await session.commit()
    return ticket


def _texts(group, thread_id: int, needle: str) -> list[str]:
    return [m["text"] for m in group.thread(thread_id) if needle in m.get("text", "")]


async def test_warning_and_escalation_fire_exactly_once_across_a_restart(
    settings, emulator, world, session
):
    clock = FrozenClock(T0)
    group = world.group
    ticket = await _urgent_ticket(session, world, clock)
    manager = emulator.user(MANAGER_ID)

    async with start_bot(settings, emulator, clock=clock) as app:
        assert await run_publisher(app.ctx) == 1
        card = await group.expect("#1 Repair · Elevator")
        topic = card["message_thread_id"]
        assert await run_deadline_checks(app.ctx) == 0
        # 8 minutes in: "about to pass" for "taken" and "on site", in one message.
        clock.advance(timedelta(minutes=8))
        assert await run_deadline_checks(app.ctx) == 2
        warning = await group.expect("⏳ #1", thread_id=topic)
        assert "Taken, On site is due in 2 minutes" in warning["text"]
        assert "Nobody has taken it yet" in warning["text"]
        assert await run_deadline_checks(app.ctx) == 0

    # A new application instance on the same database: nothing is repeated.
    async with start_bot(settings, emulator, clock=clock) as app:
        assert await run_deadline_checks(app.ctx) == 0
        clock.advance(timedelta(minutes=2))
        assert await run_deadline_checks(app.ctx) == 2
        await group.expect("⚠️ #1: the deadline for Taken, On site has passed", thread_id=topic)
        clock.advance(timedelta(minutes=2))
        assert await run_deadline_checks(app.ctx) == 2
        escalation = await group.expect("🚨 Escalated to the managers", thread_id=topic)
        assert "Li Manager" in escalation["text"]
        await manager.expect("🚨 Escalation in Sunny Garden: ticket #1")
        assert await run_deadline_checks(app.ctx) == 0

    async with start_bot(settings, emulator, clock=clock) as app:
        assert await run_deadline_checks(app.ctx) == 0
        clock.advance(timedelta(minutes=30))
        assert await run_deadline_checks(app.ctx) == 0  # the 4-hour deadline is far off

    assert len(_texts(group, topic, "⏳ #1")) == 1
    assert len(_texts(group, topic, "⚠️ #1")) == 1
    assert len(_texts(group, topic, "🚨 Escalated")) == 1
    assert len([m for m in manager.bot_messages if "Escalation" in m.get("text", "")]) == 1
    await session.refresh(ticket, ["events"])
    assert [e.type for e in ticket.events].count(TicketEventType.ESCALATED) == 2
    # The card shows what is late.
    assert "overdue by" in group.get(card)["text"]


async def test_a_telegram_outage_gives_the_notices_back_for_the_next_run(
    settings, emulator, world, session, monkeypatch
):
    clock = FrozenClock(T0)
    group = world.group
    await _urgent_ticket(session, world, clock)
    async with start_bot(settings, emulator, clock=clock) as app:
        assert await run_publisher(app.ctx) == 1
        card = await group.expect("#1 Repair · Elevator")
        clock.advance(timedelta(minutes=8))

        async def unreachable(chat_id, text, **kwargs):
            raise TelegramNetworkError(SendMessage(chat_id=chat_id, text=text), "unreachable")

        with monkeypatch.context() as patch:
            patch.setattr(app.ctx.bot, "send_message", unreachable)
            assert await run_deadline_checks(app.ctx) == 0
        assert await run_deadline_checks(app.ctx) == 2
        warning = await group.expect("⏳ #1", thread_id=card["message_thread_id"])
        assert "Taken, On site is due in 2 minutes" in warning["text"]
        assert await run_deadline_checks(app.ctx) == 0


async def test_overdue_listing_and_morning_digest(settings, emulator, world, session):
    clock = FrozenClock(T0 - timedelta(hours=2))  # 07:00 local
    await _urgent_ticket(session, world, clock)
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        await run_publisher(app.ctx)
        await group.expect("#1 Repair · Elevator")
        clock.advance(timedelta(minutes=30))
        # Not yet 08:00 in Shanghai: no digest.
        assert await run_morning_digest(app.ctx) == 0
        await group.send(MANAGER_ID, "/tickets overdue")
        overdue = await group.expect("Overdue tickets: 1")
        assert "#1" in overdue["text"] and "On site overdue by 20 minutes" in overdue["text"]
        clock.set(T0 - timedelta(minutes=55))  # 08:05
        assert await run_morning_digest(app.ctx) == 1
        digest = await group.expect("Good morning")
        assert "Open: 1 (new 1" in digest["text"] and "Overdue tickets: 1" in digest["text"]
        assert await run_morning_digest(app.ctx) == 0
    async with start_bot(settings, emulator, clock=clock) as app:
        clock.advance(timedelta(hours=1))
        assert await run_morning_digest(app.ctx) == 0  # once a day, even after a restart
        clock.advance(timedelta(days=1))
        assert await run_morning_digest(app.ctx) == 1


async def test_resolved_tickets_close_themselves_after_seven_days(
    settings, emulator, world, session
):
    clock = FrozenClock(T0)
    ticket = await _urgent_ticket(session, world, clock)
    await service.resolve(session, clock, ticket, world.tech.id)
    await session.commit()
    resident = world.resident_chat
    async with start_bot(settings, emulator, clock=clock) as app:
        await run_publisher(app.ctx)
        clock.advance(timedelta(days=6))
        assert await run_auto_close(app.ctx) == 0
        clock.advance(timedelta(days=1, minutes=1))
        assert await run_auto_close(app.ctx) == 1
        await resident.expect("Ticket #1 was closed automatically")
        await world.group.expect("Closed automatically")
        assert await run_auto_close(app.ctx) == 0
    await session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED
    row = await session.scalar(select(Ticket.status).where(Ticket.id == ticket.id))
    assert row == TicketStatus.CLOSED
    assert RESIDENT_ID == resident.id


async def test_a_ticket_filed_before_the_group_is_bound_is_posted_later(
    running_bot, world, session
):
    world.community.admin_chat_id = None
    await session.commit()
    resident = world.resident_chat
    await resident.send("/ticket")
    await resident.press(await resident.expect("What would you like to report?"), "📣 Complaint")
    await resident.expect("Describe the problem")
    await resident.send("Dogs off the leash in the garden")
    await resident.press(await resident.expect("Add up to 5 photos"), "Skip ➡️")
    await resident.press(await resident.expect("Please check your report"), "✅ Submit")
    await resident.expect("as soon as it is connected")
    assert await run_publisher(running_bot.ctx) == 0
    world.community.admin_chat_id = world.group.id
    await session.commit()
    assert await run_publisher(running_bot.ctx) == 1
    await world.group.expect("#1 Complaint")
    assert await run_publisher(running_bot.ctx) == 0


async def test_the_filer_and_the_publisher_job_post_one_card_between_them(
    settings, emulator, world, session
):
    """The resident's submit and a publisher run that finds the ticket at the same
    moment both reach for the card: the claim lets exactly one post it."""
    import asyncio

    from handlers.tickets.group import publish_once

    clock = FrozenClock(T0)
    ticket = await _urgent_ticket(session, world, clock)
    async with start_bot(settings, emulator, clock=clock) as app:
        posted = await asyncio.gather(publish_once(app.ctx, ticket.id), run_publisher(app.ctx))
        await world.group.expect("#1 Repair · Elevator")
        assert await run_publisher(app.ctx) == 0
    assert posted[0] is True
    cards = [m for m in world.group.messages if "#1 Repair · Elevator" in m.get("text", "")]
    assert len(cards) == 1
