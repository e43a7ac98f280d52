"""Whose ticket a button is about: only the reporter's own, only this group's."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.types import CallbackQuery, User

from core.clock import FrozenClock
from core.identity import Identity
from core.tickets import service
from core.tickets.models import TicketKind
from handlers.tickets.callbacks import MyTicket, RateTicket, TicketAction
from handlers.tickets.resident_shared import OwnTicket
from handlers.tickets.staff_shared import ButtonTicket
from tests.factories import make_community, make_resident, make_unit


def _press(user_id: int) -> CallbackQuery:
    return CallbackQuery(
        id="1",
        from_user=User(id=user_id, is_bot=False, first_name="x"),
        chat_instance="1",
    )


async def test_a_button_acts_only_on_the_pressers_own_ticket_and_group(session):
    community = await make_community(session, admin_chat_id=-1001)
    other = await make_community(session, admin_chat_id=-1002)
    unit = await make_unit(session, community, "3栋", "1201")
    reporter, _ = await make_resident(session, unit, telegram_id=501)
    neighbour, _ = await make_resident(session, unit, telegram_id=502)
    ticket = await service.file_ticket(
        session,
        FrozenClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
        community=community,
        reporter_person_id=reporter.id,
        kind=TicketKind.SUGGESTION,
        description="More benches by the pond",
        unit_id=unit.id,
    )
    await session.commit()

    own = OwnTicket()
    mine = await own(
        _press(501),
        MyTicket(action="open", ticket_id=ticket.id),
        session,
        Identity(person_id=reporter.id, telegram_id=501),
    )
    assert isinstance(mine, dict) and mine["view"].ticket is ticket
    assert mine["person_id"] == reporter.id
    for person_id, data in (
        (neighbour.id, RateTicket(ticket_id=ticket.id, rating=5)),
        (None, MyTicket(action="cancel_yes", ticket_id=ticket.id)),
        (reporter.id, MyTicket(action="open", ticket_id=ticket.id + 1)),
    ):
        assert not await own(_press(502), data, session, Identity(person_id, telegram_id=502))

    button = ButtonTicket()
    take = TicketAction(action="take", ticket_id=ticket.id)
    assert await button(_press(601), take, session, community) == {"ticket": ticket}
    assert not await button(_press(601), take, session, other)
