"""What the resident's ticket flows share: their conversation states, the
"is this ticket theirs?" check, and the answers when a ticket moved on meanwhile."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.tickets import service
from core.tickets.models import Ticket
from handlers.kit import answer_query
from handlers.tickets.labels import status_label, ticket_ref
from handlers.tickets.views import TicketView, load_view

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


async def own_ticket(
    query: CallbackQuery, session: AsyncSession, identity: Identity, ticket_id: int
) -> TicketView | None:
    """The ticket if the presser reported it; otherwise they are told and get None."""
    try:
        ticket = await service.get_ticket(session, ticket_id)
    except service.TicketNotFound:
        ticket = None
    if ticket is None or ticket.reporter_person_id != identity.person_id:
        await answer_query(query, _("This ticket is not yours."), alert=True)
        return None
    return await load_view(session, ticket)


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
