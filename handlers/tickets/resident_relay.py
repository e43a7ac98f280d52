"""The resident writes to the staff about a ticket.

Steps: "Write to staff" under a ticket in "My tickets" → the next message (text,
photo, document or video) → posted in the ticket's topic (or as a reply to its
card) with who and where, and the resident gets "Sent". A reply to any of the
bot's messages about a ticket goes the same way, without the button. A closed
ticket, a group not connected yet, or content the staff cannot receive is
explained instead.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from aiogram import F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import service
from core.tickets.models import LinkRole, Ticket
from handlers.kit import group_locale, private_router, reply
from handlers.tickets.callbacks import MyTicket
from handlers.tickets.group import placement_kwargs
from handlers.tickets.labels import ticket_ref
from handlers.tickets.resident_shared import OwnTicket, TicketTalk, closed_text
from handlers.tickets.sizes import CAPTION_LIMIT, fits, split_with_header
from handlers.tickets.views import TicketView, load_view, ticket_of_step

log = logging.getLogger(__name__)

router = private_router("tickets.resident_relay")

RELAYABLE = F.text | F.photo | F.document | F.video


@router.callback_query(MyTicket.filter(F.action == "write"), OwnTicket())
async def start_writing(query: CallbackQuery, view: TicketView, state: FSMContext) -> None:
    if view.ticket.is_final:
        await reply(query, closed_text(view.ticket))
        return
    await state.set_state(TicketTalk.writing)
    await state.set_data({"ticket_id": view.ticket.id})
    await reply(
        query,
        _(
            "Send your message for the staff about {ref}: text, a photo, a document or a video."
        ).format(ref=ticket_ref(view.ticket)),
    )


async def relay_from_resident(
    message: Message, app: AppContext, session: AsyncSession, view: TicketView
) -> None:
    """Post the resident's message in the ticket's topic and tell them it went through."""
    assert app.bot is not None
    ticket = view.ticket
    if ticket.is_final:
        await message.answer(closed_text(ticket))
        return
    if message.text is not None and message.text.startswith("/"):
        raise SkipHandler()
    if not (message.text or message.photo or message.document or message.video):
        await message.answer(_("Only text, photos, documents and videos can be sent to the staff."))
        return
    if ticket.admin_chat_id is None or ticket.card_message_id is None:
        await message.answer(
            _(
                "The property office's group is not connected yet, so I could not pass this on. "
                "Please try again later, or call the office."
            )
        )
        return
    media: tuple[str, str] | None = None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.document:
        media = ("document", message.document.file_id)
    elif message.video:
        media = ("video", message.video.file_id)
    body = message.text or message.caption or ""
    count = await post_from_resident(app, session, view, body, media)
    if count is None:
        await message.answer(_("Sorry, I could not pass that on just now. Please try again."))
        return
    await service.link_message(
        session, ticket.id, message.chat.id, message.message_id, LinkRole.FROM_RESIDENT
    )
    await message.reply(sent_text(ticket, count))


def sent_text(ticket: Ticket, count: int) -> str:
    if count > 1:
        return _(
            "Sent to the staff ({ref}), in {count} parts: it was longer than one message."
        ).format(ref=ticket_ref(ticket), count=count)
    return _("Sent to the staff ({ref}).").format(ref=ticket_ref(ticket))


async def post_from_resident(
    app: AppContext,
    session: AsyncSession,
    view: TicketView,
    body: str,
    media: tuple[str, str] | None = None,
) -> int | None:
    """Post a resident's words (and photo, document or video) in the ticket's topic,
    in parts when too long for one message; how many messages, None when it failed."""
    assert app.bot is not None
    ticket = view.ticket
    chat_id = ticket.admin_chat_id
    assert chat_id is not None
    with app.i18n.use_locale(group_locale(app, view.community)):
        header = _("💬 <b>{name}</b> ({place}) about {ref}:").format(
            name=escape(view.reporter.full_name if view.reporter else ""),
            place=escape(view.place),
            ref=ticket_ref(ticket),
        )
    placement = placement_kwargs(ticket)
    texts = split_with_header(header, body)
    bot = app.bot
    calls: list[Any] = []
    if media is not None:
        # The caption when it fits; otherwise the header alone, and the text after it.
        short = fits(header, body, CAPTION_LIMIT)
        caption = texts[0] if short else header
        texts = [] if short else texts
        kind, file_id = media
        send: dict[str, Any] = {
            "photo": bot.send_photo,
            "document": bot.send_document,
            "video": bot.send_video,
        }
        calls.append(lambda: send[kind](chat_id, file_id, caption=caption, **placement))
    calls += [lambda text=text: bot.send_message(chat_id, text, **placement) for text in texts]
    try:
        for call in calls:
            sent = await call()
            await service.link_message(
                session, ticket.id, sent.chat.id, sent.message_id, LinkRole.FROM_RESIDENT
            )
    except Exception:
        log.exception("relay to the admin group failed", extra={"fields": {"ticket": ticket.id}})
        return None
    return len(calls)


@router.message(TicketTalk.writing, RELAYABLE)
async def write_to_staff(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    ticket = await ticket_of_step(session, state)
    if ticket is None or ticket.reporter_person_id != identity.person_id:
        await state.clear()
        return
    if message.text is not None and message.text.startswith("/"):
        await message.answer(_("Please send the message itself, or /cancel."))
        return
    await state.clear()
    await relay_from_resident(message, app, session, await load_view(session, ticket))


@router.message(TicketTalk.writing)
async def write_expected(message: Message) -> None:
    await message.answer(
        _(
            "Only text, photos, documents and videos can be sent to the staff. "
            "Try again, or /cancel."
        )
    )


@router.message(StateFilter(None), F.reply_to_message)
async def reply_to_ticket_message(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    """A reply to any of the bot's messages about a ticket goes to that ticket's topic."""
    assert message.reply_to_message is not None
    ticket = await service.find_ticket_by_message(
        session, message.chat.id, message.reply_to_message.message_id
    )
    if ticket is None or ticket.reporter_person_id != identity.person_id:
        raise SkipHandler()
    await relay_from_resident(message, app, session, await load_view(session, ticket))
