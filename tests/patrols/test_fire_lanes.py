"""Fire lanes end to end: a clear check, a blocked one opening a hazard ticket in its
own topic with the photo, and the month's compliance."""

from __future__ import annotations

from sqlalchemy import select

from core.patrols.models import Checkpoint, CheckpointVisit, LaneVerdict
from core.tickets.models import HazardType, Ticket, TicketKind
from tests.harness import idle
from tests.patrols.conftest import GUARD_ID, MANAGER_ID, jpeg, start_payload


async def _check(guard, payload: str, verdict: str, color: str) -> dict:
    await guard.send(f"/start {payload}")
    await guard.expect("a photo of the checkpoint")
    await guard.send_photo(jpeg(color))
    await guard.expect("clear or blocked")
    choose = await guard.expect("Choose one")
    await guard.press(choose, verdict)
    return await guard.expect("Check recorded")


async def test_blocked_lane_opens_a_hazard_ticket(running_bot, emulator, world, session):
    group = world.group
    await group.send(MANAGER_ID, "/firelane_add East fire lane | Between buildings 2 and 3")
    await group.expect("Fire lane #1 East fire lane added")
    await group.send(MANAGER_ID, "/firelane_add Exit B | Basement stairs")
    await group.expect("Fire lane #2 Exit B added")
    await group.send(MANAGER_ID, "/firelane_add Nameless")
    await group.expect("Usage: /firelane_add")
    await idle(running_bot)
    east, exit_b = (await session.scalars(select(Checkpoint).order_by(Checkpoint.id))).all()

    guard = emulator.user(GUARD_ID)
    clear = await _check(guard, start_payload(east), "✅ Clear", "green")
    assert "East fire lane is clear" in clear["text"]
    await guard.send("hello")  # no conversation left: the lane check is over
    blocked = await _check(guard, start_payload(east), "⛔ Blocked", "red")
    assert "is blocked" in blocked["text"] and "Hazard ticket #1" in blocked["text"]

    # The hazard ticket has its own topic, its card and the guard's photo.
    topic = next(t for t in group.topics.values() if t.name.startswith("#1"))
    card = await group.expect("Fire lane or exit found blocked", thread_id=topic.thread_id)
    assert "East fire lane" in card["text"]
    photos = [m for m in group.thread(topic.thread_id) if "photo" in m]
    assert len(photos) == 1

    await idle(running_bot)
    ticket = await session.scalar(select(Ticket))
    assert ticket is not None
    assert (ticket.kind, ticket.hazard) == (TicketKind.HAZARD, HazardType.FIRE_LANE)
    assert ticket.reporter_person_id == world.guard.id and len(ticket.media) == 1
    visits = (await session.scalars(select(CheckpointVisit).order_by(CheckpointVisit.id))).all()
    assert [v.verdict for v in visits] == [LaneVerdict.CLEAR, LaneVerdict.BLOCKED]
    assert visits[1].ticket_id == ticket.id and visits[1].photo_file_id

    await group.send(MANAGER_ID, "/firelane_report")
    report = await group.expect("Fire lanes and exits")
    assert "Checks done: 2 of 4 required (50%)" in report["text"]
    assert "East fire lane: 2/2 · found blocked 1×" in report["text"]
    assert "⚠️ Exit B: 0/2" in report["text"]
    assert exit_b.kind.value == "fire_lane"


async def test_a_lane_check_needs_a_verdict_button(running_bot, emulator, world, session):
    group = world.group
    await group.send(MANAGER_ID, "/firelane_add Exit C | Gym")
    await group.expect("Fire lane #1")
    await idle(running_bot)
    lane = await session.scalar(select(Checkpoint))
    guard = emulator.user(GUARD_ID)
    await guard.send(f"/start {start_payload(lane)}")
    await guard.expect("a photo of the checkpoint")
    await guard.send_photo(jpeg())
    choose = await guard.expect("Choose one")
    await guard.send("it is fine")
    await guard.expect("Please press")
    await guard.press(choose, "✅ Clear")
    await guard.expect("Exit C is clear")
    edited = await guard.expect_edit(choose)  # the buttons are gone: one verdict per check
    assert not (edited.get("reply_markup") or {}).get("inline_keyboard")
    await idle(running_bot)
    assert len((await session.scalars(select(CheckpointVisit))).all()) == 1


async def test_lanes_behind_schedule_are_named_once(settings, emulator, world, session):
    from datetime import UTC, datetime

    from core.clock import FrozenClock
    from core.patrols.checkpoints import create_checkpoint
    from core.patrols.models import CheckpointKind
    from handlers.patrols.jobs import lane_reminder_job
    from tests.harness import start_bot

    for name in ("East lane", "Exit B"):
        await create_checkpoint(
            session,
            world.community,
            name=name,
            place="",
            coordinates=None,
            photo_required=True,
            actor_person_id=world.manager.id,
            kind=CheckpointKind.FIRE_LANE,
        )
    await session.commit()
    clock = FrozenClock(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        assert await lane_reminder_job(app.ctx) == 0  # before the 15th: nothing yet
        clock.set(datetime(2026, 12, 15, 2, 0, tzinfo=UTC))
        assert await lane_reminder_job(app.ctx) == 1
        mid = await group.expect("have no check yet")
        assert "East lane (0/2)" in mid["text"] and "Exit B (0/2)" in mid["text"]
        assert await lane_reminder_job(app.ctx) == 0
        clock.set(datetime(2026, 12, 29, 2, 0, tzinfo=UTC))
        assert await lane_reminder_job(app.ctx) == 1
        await group.expect("still need checks")
        assert await lane_reminder_job(app.ctx) == 0
