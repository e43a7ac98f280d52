"""What the staff's ticket handlers share: finding the ticket a button or a group
message is about (and, after the button handlers, the answer when it is not this
group's), and auditing what staff did to it."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.identity import Identity
from core.models import Community
from core.tickets import service
from core.tickets.models import Ticket
from handlers.kit import admin_router, answer_query
from handlers.tickets.callbacks import TicketAction, TicketAssign
from handlers.tickets.views import find_ticket


class ButtonTicket(Filter):
    """A press on a button of a ticket of this group's community (the button's
    ``ticket_id``); injects ``ticket``. Other presses are answered by :func:`not_here`."""

    async def __call__(
        self,
        query: CallbackQuery,
        callback_data: TicketAction | TicketAssign,
        session: AsyncSession,
        community: Community,
    ) -> bool | dict[str, Any]:
        ticket = await find_ticket(session, callback_data.ticket_id)
        if ticket is None or ticket.community_id != community.id:
            return False
        return {"ticket": ticket}


# After the staff routers with ticket buttons: the presses no handler took.
router = admin_router("tickets.not_here")


@router.callback_query(TicketAction.filter())
@router.callback_query(TicketAssign.filter())
async def not_here(query: CallbackQuery) -> None:
    await answer_query(query, _("This ticket is not in this group."), alert=True)


async def audit(
    session: AsyncSession, action: str, identity: Identity, ticket: Ticket, **details: object
) -> None:
    await record_audit(
        session,
        action,
        community_id=ticket.community_id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type="ticket",
        target_id=ticket.id,
        details={"number": ticket.number, **details},
    )


async def ticket_of_message(session: AsyncSession, message: Message) -> Ticket | None:
    """The ticket a group message belongs to: by its topic, or by what it replies to."""
    if message.is_topic_message and message.message_thread_id is not None:
        ticket = await service.find_ticket_by_topic(
            session, message.chat.id, message.message_thread_id
        )
        if ticket is not None:
            return ticket
    reply = message.reply_to_message
    if reply is not None and not (
        # In a forum every topic message "replies" to the topic's first message.
        message.is_topic_message and reply.message_id == message.message_thread_id
    ):
        return await service.find_ticket_by_message(session, message.chat.id, reply.message_id)
    return None


def in_ticket_place(message: Message, ticket: Ticket, linked: Ticket | None) -> bool:
    """Whether a group message was written in the ticket's topic / reply chain
    (``linked``: the ticket :func:`ticket_of_message` found for it)."""
    if ticket.topic_id is not None:
        return bool(message.is_topic_message) and message.message_thread_id == ticket.topic_id
    return linked is not None and linked.id == ticket.id
