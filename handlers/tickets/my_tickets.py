"""My tickets: the resident's list, one ticket's details, and cancelling it.

Steps: "My tickets" (menu or /mytickets) → the list, open ones first → a ticket:
status, place, history and what we promised, with what can be done now (write to
staff, confirm and rate, reopen, cancel) → "Cancel this ticket" → "Yes, cancel it"
→ the staff topic is told and the card updated.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import service
from core.tickets.models import Ticket, TicketStatus
from handlers.kit import answer_query, menu_entry, private_command, private_router, reply, residents
from handlers.tickets.callbacks import MyTicket
from handlers.tickets.group import post_in_ticket, sync_group
from handlers.tickets.labels import KIND_ICONS, kind_label, status_label, ticket_ref
from handlers.tickets.notices import answer_linked
from handlers.tickets.resident_shared import OwnTicket, transition_failed
from handlers.tickets.views import TicketView, resident_summary

router = private_router("tickets.my_tickets")

menu_entry("tickets_mine", __("📋 My tickets"), residents, order=21)
private_command("mytickets", __("My tickets"), order=21)


def _list_keyboard(tickets: list[Ticket]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{KIND_ICONS[t.kind]} {ticket_ref(t)} {kind_label(t.kind)} · "
                f"{status_label(t.status)}",
                callback_data=MyTicket(action="open", ticket_id=t.id).pack(),
            )
        ]
        for t in tickets
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.callback_query(F.data == "menu:tickets_mine", StateFilter("*"))
@router.callback_query(MyTicket.filter(F.action == "list"), StateFilter("*"))
@router.message(Command("mytickets"), StateFilter("*"))
async def show_mine(
    event: Message | CallbackQuery, state: FSMContext, identity: Identity, session: AsyncSession
) -> None:
    await state.clear()
    if identity.person_id is None:  # nobody we know: nothing to list
        if isinstance(event, CallbackQuery):
            await answer_query(event)
        return
    tickets = await service.tickets_of_reporter(session, identity.person_id)
    if not tickets:
        await reply(event, _("You have no tickets yet. Use “Report a problem” to file one."))
        return
    await reply(event, _("Your tickets (open ones first):"), reply_markup=_list_keyboard(tickets))


def _detail_keyboard(ticket: Ticket) -> InlineKeyboardMarkup:
    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=MyTicket(action=action, ticket_id=ticket.id).pack()
        )

    rows: list[list[InlineKeyboardButton]] = []
    if not ticket.is_final:
        rows.append([button(_("✉️ Write to staff"), "write")])
    if ticket.status == TicketStatus.RESOLVED:
        rows.append([button(_("⭐ Confirm and rate"), "rate"), button(_("🔁 Reopen"), "reopen")])
    if ticket.is_open:
        rows.append([button(_("✖️ Cancel this ticket"), "cancel")])
    rows.append([button(_("« All my tickets"), "list")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.callback_query(MyTicket.filter(F.action == "open"), OwnTicket())
async def open_ticket(
    query: CallbackQuery,
    view: TicketView,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
) -> None:
    await answer_query(query)
    await state.clear()
    if isinstance(query.message, Message):
        # A reply to the details goes to the ticket's topic, like a reply to a notice.
        await answer_linked(
            session,
            view.ticket,
            query.message,
            resident_summary(view, app.clock.now()),
            reply_markup=_detail_keyboard(view.ticket),
        )


@router.callback_query(MyTicket.filter(F.action == "cancel"), OwnTicket())
async def ask_cancel(query: CallbackQuery, view: TicketView) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes, cancel it"),
                    callback_data=MyTicket(action="cancel_yes", ticket_id=view.ticket.id).pack(),
                ),
                InlineKeyboardButton(
                    text=_("No, keep it"),
                    callback_data=MyTicket(action="open", ticket_id=view.ticket.id).pack(),
                ),
            ]
        ]
    )
    await reply(
        query, _("Cancel ticket {ref}?").format(ref=ticket_ref(view.ticket)), reply_markup=keyboard
    )


@router.callback_query(MyTicket.filter(F.action == "cancel_yes"), OwnTicket())
async def do_cancel(
    query: CallbackQuery, view: TicketView, person_id: int, session: AsyncSession, app: AppContext
) -> None:
    try:
        await service.cancel(session, app.clock, view.ticket, person_id)
    except service.TicketError as exc:
        await transition_failed(query, session, exc)
        return
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await post_in_ticket(
        app, session, view, lambda: "✖️ " + _("The resident cancelled this ticket.")
    )
    await sync_group(app, view)
    await reply(query, _("Ticket {ref} is cancelled.").format(ref=ticket_ref(view.ticket)))
