"""Buttons pressed late or twice (issue 21, item 13): a press Telegram no longer lets
the bot answer is still applied; an old Skip after a rating says nothing again."""

from __future__ import annotations

from sqlalchemy import select

from core.tickets import service
from core.tickets.models import Ticket, TicketKind, TicketStatus
from tests.harness import idle


async def _resolved_ticket(running_bot, world, session) -> Ticket:
    clock = running_bot.ctx.clock
    ticket = await service.file_ticket(
        session,
        clock,
        community=world.community,
        reporter_person_id=world.resident.id,
        kind=TicketKind.SUGGESTION,
        description="More benches by the pond",
        unit_id=world.unit.id,
    )
    await service.resolve(session, clock, ticket, world.tech.id)
    await session.commit()
    return ticket


async def test_a_late_rating_counts_and_an_old_skip_is_quiet(running_bot, world, session):
    await _resolved_ticket(running_bot, world, session)
    resident = world.resident_chat
    await resident.send("/mytickets")
    listing = await resident.expect("Your tickets")
    await resident.press(listing, "#1")
    detail = await resident.expect("History")
    await resident.press(detail, "⭐ Confirm and rate")
    stars = await resident.expect("How happy are you")
    # Pressed while the bot was restarting: Telegram refuses the answer, the rating holds.
    await resident.press(stars, "4⭐", stale=True)
    ask = await resident.expect("Thanks for confirming #1")
    await resident.send("Quick and tidy work")
    await resident.expect("comment is saved and the ticket is closed")
    # The old Skip under the question, pressed after the comment: nothing more is said.
    await resident.press(ask, "Skip")
    await resident.expect_nothing(within=0.6, text_contains="closed")
    await idle(running_bot)
    ticket = await session.scalar(select(Ticket))
    await session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED and ticket.rating == 4
