"""A resident's message with no step open (issue 21, item 11): with one open ticket
it goes to that ticket; with several the bot asks which."""

from __future__ import annotations

from core.tickets import service
from core.tickets.models import TicketKind
from tests.tickets.test_e2e import _file_urgent_repair_with_photos


async def test_free_text_goes_to_the_one_open_ticket_or_asks_which(running_bot, world, session):
    resident, group = world.resident_chat, world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    topic = group.topic("#1 Repair · 3栋-1201 · Urgent")
    await group.expect("#1 Repair · Water", thread_id=topic.thread_id)

    # No Reply needed: one open ticket, the message goes to it.
    await resident.send("The water is off again since noon")
    await resident.expect("Sent to the staff (#1)")
    posted = await group.expect("water is off again", thread_id=topic.thread_id)
    assert "#1" in posted["text"]

    # A second open ticket: the bot asks which one.
    await service.file_ticket(
        session,
        running_bot.ctx.clock,
        community=world.community,
        reporter_person_id=world.resident.id,
        kind=TicketKind.SUGGESTION,
        description="More benches by the pond",
        unit_id=world.unit.id,
    )
    await session.commit()
    await running_bot.ctx.scheduler.run_now("tickets.publish")  # its topic and card
    await resident.send("Could someone call me after six?")
    ask = await resident.expect("Which of your tickets is this about?")
    labels = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
    assert any(label.startswith("#1") for label in labels)
    assert any(label.startswith("#2") for label in labels)
    await resident.press(ask, next(label for label in labels if label.startswith("#1")))
    await resident.expect("Sent to the staff (#1)")
    await group.expect("call me after six", thread_id=topic.thread_id)
