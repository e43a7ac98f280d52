"""The resident reopens a resolved ticket that is not fixed.

Steps: "Not fixed — reopen" under the "resolved" notice (or "Reopen" in "My
tickets") → only while the ticket is resolved → "What is still not right?" → a
text → the ticket is open again with its deadlines, the staff topic gets the
reason (naming whoever had it) and the card is updated.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import parties, service
from core.tickets.models import TicketStatus
from handlers.kit import answer_query, private_router, read_text, reply
from handlers.tickets.callbacks import MyTicket
from handlers.tickets.group import post_in_ticket, sync_group
from handlers.tickets.labels import mention, status_label, ticket_ref
from handlers.tickets.resident_shared import PLAIN_TEXT, OwnTicket, TicketTalk
from handlers.tickets.views import TicketView, load_view, ticket_of_step

router = private_router("tickets.reopen")


@router.callback_query(MyTicket.filter(F.action == "reopen"), OwnTicket())
async def ask_reopen(query: CallbackQuery, view: TicketView, state: FSMContext) -> None:
    if view.ticket.status != TicketStatus.RESOLVED:
        await answer_query(
            query,
            _("Not possible any more: the ticket is {status}.").format(
                status=status_label(view.ticket.status).lower()
            ),
            alert=True,
        )
        return
    await state.set_state(TicketTalk.reopen_reason)
    await state.set_data({"ticket_id": view.ticket.id})
    await reply(
        query, _("What is still not right? Your answer goes to the staff with the reopened ticket.")
    )


@router.message(TicketTalk.reopen_reason, PLAIN_TEXT)
async def got_reopen_reason(
    message: Message, state: FSMContext, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    reason = await read_text(message, max_len=service.MAX_REASON)
    if reason is None:
        return
    ticket = await ticket_of_step(session, state)
    try:
        if ticket is None:
            raise service.TicketNotFound("the step's ticket")
        assert identity.person_id is not None
        community = await parties.load_community(session, ticket.community_id)
        assert community is not None  # the ticket cascades from it
        await service.reopen(session, app.clock, ticket, identity.person_id, reason, community)
    except service.TicketError:
        await session.rollback()
        await state.clear()
        await reply(message, _("Sorry, this ticket can no longer be reopened."))
        return
    await state.clear()
    view = await load_view(session, ticket)
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("🔁 The resident reopened this ticket: {reason}\n{who}").format(
            reason=escape(reason), who=mention(view.assignee) if view.assignee else ""
        ),
    )
    await sync_group(app, view)
    await reply(
        message,
        _("Ticket {ref} is reopened; the staff have your message.").format(ref=ticket_ref(ticket)),
    )


@router.message(TicketTalk.reopen_reason)
async def reopen_reason_expected(message: Message) -> None:
    await message.answer(_("Please describe in a text message what is still wrong (or /cancel)."))
