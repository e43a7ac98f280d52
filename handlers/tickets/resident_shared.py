"""What the resident's ticket flows share: their conversation states, the
"is this ticket theirs?" filter (and, last in routing, the answer when it is not),
and the answers when a ticket moved on meanwhile."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.tickets import service
from core.tickets.models import Ticket
from handlers.kit import answer_query, private_router, refuse_foreign
from handlers.tickets.callbacks import MyTicket, RateTicket
from handlers.tickets.labels import status_label, ticket_ref
from handlers.tickets.views import find_ticket, load_view

# A text message that is not a command (commands go to their own handlers).
PLAIN_TEXT = F.text & ~F.text.startswith("/")


class TicketTalk(StatesGroup):
    writing = State()  # the next message goes to the ticket's topic
    reopen_reason = State()
    rating_comment = State()


def in_chat(query: CallbackQuery) -> Message | CallbackQuery:
    """Where to say more once a press is answered: in its message's chat (a press
    whose message is no longer accessible is answered through the press)."""
    return query.message if isinstance(query.message, Message) else query


class OwnTicket(Filter):
    """A press on a button of the presser's own ticket (the button's ``ticket_id``);
    injects its ``view`` and the presser's ``person_id``. A press on anyone else's
    is answered by :func:`not_yours`."""

    async def __call__(
        self,
        query: CallbackQuery,
        callback_data: MyTicket | RateTicket,
        session: AsyncSession,
        identity: Identity,
    ) -> bool | dict[str, Any]:
        ticket = await find_ticket(session, callback_data.ticket_id)
        person_id = identity.person_id
        if ticket is None or person_id is None or ticket.reporter_person_id != person_id:
            return False
        return {"view": await load_view(session, ticket), "person_id": person_id}


# After every resident router: the presses on a ticket that no handler took.
router = private_router("tickets.not_yours")


@router.callback_query(MyTicket.filter(F.ticket_id != 0))
@router.callback_query(RateTicket.filter())
async def not_yours(
    query: CallbackQuery,
    callback_data: MyTicket | RateTicket,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await refuse_foreign(
        query,
        session,
        identity,
        "tickets.own",
        _("This ticket is not yours."),
        target_type="ticket",
        target_id=callback_data.ticket_id,
    )


def closed_text(ticket: Ticket) -> str:
    return _(
        "Ticket {ref} is {status}; messages no longer reach the staff. "
        "Use “Report a problem” for something new."
    ).format(ref=ticket_ref(ticket), status=status_label(ticket.status).lower())


async def transition_failed(
    query: CallbackQuery, session: AsyncSession, exc: service.TicketError
) -> None:
    """The resident's button came too late (staff or a job changed the ticket first)."""
    await session.rollback()
    if isinstance(exc, service.TicketChanged):
        text = _("The ticket changed just now; please open it again.")
    elif isinstance(exc, service.InvalidTransition):
        text = _("Not possible any more: the ticket is {status}.").format(
            status=status_label(exc.status).lower()
        )
    else:
        text = _("Not possible.")
    await answer_query(query, text, alert=True)
