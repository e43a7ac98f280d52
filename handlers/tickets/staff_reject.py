"""A manager rejects a ticket, with a reason the resident sees.

Steps: "⛔ Reject" on the card (managers only; open tickets only) → the bot asks
the manager, in the ticket's topic, for the reason → their next message there is
the reason (text; /cancel keeps the ticket open; messages elsewhere in the group
are not taken for it) → rejected and audited, the card updated, the resident told.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import parties, service
from core.tickets.models import Ticket
from handlers.kit import admin_router, answer_query, read_text
from handlers.tickets.callbacks import TicketAction
from handlers.tickets.group import post_in_ticket, sync_group
from handlers.tickets.labels import mention, status_label, ticket_ref
from handlers.tickets.notices import notify_resident
from handlers.tickets.staff_shared import ButtonTicket, audit, in_ticket_place, ticket_of_message
from handlers.tickets.views import load_view, ticket_of_step

router = admin_router("tickets.staff_reject")


class RejectReason(StatesGroup):
    reason = State()


@router.callback_query(
    TicketAction.filter(F.action == "reject"), ButtonTicket(), flags={"staff": "tickets.reject"}
)
async def ask_reject_reason(
    query: CallbackQuery,
    ticket: Ticket,
    identity: Identity,
    session: AsyncSession,
    state: FSMContext,
    app: AppContext,
) -> None:
    if not ticket.is_open:
        await answer_query(
            query,
            _("Not possible: the ticket is {status}.").format(
                status=status_label(ticket.status).lower()
            ),
            alert=True,
        )
        return
    await answer_query(query)
    await state.set_state(RejectReason.reason)
    await state.set_data({"ticket_id": ticket.id})
    view = await load_view(session, ticket)
    person = await parties.load_person(session, identity.person_id)
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _(
            "{person}, send the reason for rejecting {ref} here in one message; "
            "the resident will see it. /cancel keeps the ticket open."
        ).format(person=mention(person), ref=ticket_ref(ticket)),
    )


@router.message(RejectReason.reason, Command("cancel"))
async def cancel_reject(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.reply(_("OK, the ticket stays open."))


@router.message(RejectReason.reason, flags={"staff": "tickets.reject"})
async def got_reject_reason(
    message: Message,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    ticket = await ticket_of_step(session, state)
    if ticket is None:
        await state.clear()
        raise SkipHandler()
    linked = await ticket_of_message(session, message)
    if not in_ticket_place(message, ticket, linked):
        raise SkipHandler()  # a message elsewhere in the group is not the reason
    if (message.text or "").startswith("/"):
        await message.reply(_("Please send the reason as text, or /cancel."))
        return
    reason = await read_text(message, max_len=service.MAX_REASON)
    if reason is None:
        return
    assert identity.person_id is not None
    try:
        await service.reject(session, app.clock, ticket, identity.person_id, reason)
    except service.TicketError:
        await session.rollback()
        await state.clear()
        await message.reply(_("This ticket can no longer be rejected."))
        return
    await state.clear()
    await audit(session, "tickets.reject", identity, ticket, reason=reason)
    view = await load_view(session, ticket)
    await sync_group(app, view)
    await notify_resident(
        app,
        session,
        view,
        lambda: _(
            "⛔ Your ticket {ref} was not accepted by the property office.\nReason: {reason}"
        ).format(ref=ticket_ref(ticket), reason=escape(reason)),
    )
    await message.reply(_("Rejected; the resident has the reason."))
