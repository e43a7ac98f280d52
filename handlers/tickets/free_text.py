"""A resident's message with no step open, while they have open tickets.

Steps: a text (or photo, document, video) in the private chat, no conversation
open, not a command → no open ticket: not ours (the menu's fallback answers) → one
open ticket: posted in its topic, "Sent to the staff (#n)" → several: "Which ticket
is this about?" with a button per ticket and "None of them" → the press posts the
kept message there (or drops it).
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import service
from core.tickets.models import Ticket
from handlers.kit import drop_buttons, private_router, reply
from handlers.tickets.callbacks import MyTicket
from handlers.tickets.labels import subject_label, ticket_ref
from handlers.tickets.resident_relay import RELAYABLE, post_from_resident, sent_text
from handlers.tickets.views import load_view

router = private_router("tickets.free_text")

MAX_CHOICES = 6
NOT_A_COMMAND = ~F.text.startswith("/")


async def _open_tickets(session: AsyncSession, identity: Identity) -> list[Ticket]:
    # Residents only (whoever else writes freely is not following up a repair), and
    # then one indexed look-up before anything is loaded: free text is common.
    if identity.person_id is None or not identity.is_resident:
        return []
    if not await service.has_active_ticket(session, identity.person_id):
        return []
    tickets = await service.tickets_of_reporter(session, identity.person_id, limit=MAX_CHOICES)
    return [t for t in tickets if not t.is_final and t.admin_chat_id is not None]


def _media(message: Message) -> tuple[str, str] | None:
    if message.photo:
        return ("photo", message.photo[-1].file_id)
    if message.document:
        return ("document", message.document.file_id)
    if message.video:
        return ("video", message.video.file_id)
    return None


@router.message(StateFilter(None), RELAYABLE, NOT_A_COMMAND)
async def free_message(
    message: Message,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    tickets = await _open_tickets(session, identity)
    if not tickets:
        raise SkipHandler()  # not about a ticket: the menu's fallback answers
    body = message.text or message.caption or ""
    if len(tickets) == 1:
        await _post(message, app, session, tickets[0], body, _media(message))
        return
    await state.update_data(free_body=body, free_media=_media(message))
    rows = [
        [
            InlineKeyboardButton(
                text=f"{ticket_ref(t)} {subject_label(t)}",
                callback_data=MyTicket(action="this", ticket_id=t.id).pack(),
            )
        ]
        for t in tickets
    ]
    rows.append(
        [InlineKeyboardButton(text=_("None of them"), callback_data=MyTicket(action="none").pack())]
    )
    await message.reply(
        _("Which of your tickets is this about? I will pass it on to the staff."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _post(
    event: Message | CallbackQuery,
    app: AppContext,
    session: AsyncSession,
    ticket: Ticket,
    body: str,
    media: Any,
) -> None:
    count = await post_from_resident(app, session, await load_view(session, ticket), body, media)
    if count is None:
        await reply(event, _("Sorry, I could not pass that on just now. Please try again."))
        return
    await reply(event, sent_text(ticket, count))


@router.callback_query(MyTicket.filter(F.action.in_({"this", "none"})), StateFilter("*"))
async def chose_ticket(
    query: CallbackQuery,
    callback_data: MyTicket,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    data = await state.get_data()
    await drop_buttons(query)
    body, media = data.get("free_body"), data.get("free_media")
    await state.update_data(free_body=None, free_media=None)
    if callback_data.action == "none" or body is None:
        await reply(query, _("Not sent. Send /help or /start for the menu."))
        return
    ticket = next(
        (t for t in await _open_tickets(session, identity) if t.id == callback_data.ticket_id),
        None,
    )
    if ticket is None:
        await reply(query, _("That ticket is closed now; the message was not sent."))
        return
    await _post(query, app, session, ticket, body, tuple(media) if media else None)
