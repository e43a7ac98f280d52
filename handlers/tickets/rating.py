"""The resident confirms a resolved ticket with a rating, and may add a comment.

Steps: 1–5 stars under the "resolved" notice (or "Confirm and rate" in "My
tickets", which shows the stars) → the ticket is closed with the rating, the staff
topic is told and the card updated → "Add a comment?" → a text, or "Skip" → the
comment goes on the card too.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import service
from handlers.kit import answer_query, drop_buttons, private_router, read_text, reply
from handlers.tickets.callbacks import MyTicket, RateTicket
from handlers.tickets.group import post_in_ticket, sync_group
from handlers.tickets.labels import ticket_ref
from handlers.tickets.notices import resolved_keyboard
from handlers.tickets.resident_shared import (
    PLAIN_TEXT,
    OwnTicket,
    TicketTalk,
    in_chat,
    transition_failed,
)
from handlers.tickets.views import TicketView, load_view, ticket_of_step

router = private_router("tickets.rating")


@router.callback_query(MyTicket.filter(F.action == "rate"), OwnTicket())
async def ask_rating(query: CallbackQuery, view: TicketView) -> None:
    await reply(
        query,
        _("How happy are you with how {ref} was handled? 1 = not at all, 5 = very.").format(
            ref=ticket_ref(view.ticket)
        ),
        reply_markup=resolved_keyboard(view.ticket),
    )


@router.callback_query(RateTicket.filter(), OwnTicket())
async def rate(
    query: CallbackQuery,
    callback_data: RateTicket,
    view: TicketView,
    person_id: int,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
) -> None:
    try:
        await service.confirm(session, app.clock, view.ticket, person_id, callback_data.rating)
    except service.TicketError as exc:
        await transition_failed(query, session, exc)
        return
    await answer_query(query, _("Thank you!"))
    await drop_buttons(query)
    rating = callback_data.rating
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("✅ The resident confirmed the fix and rated it {stars} ({rating}/5).").format(
            stars="⭐" * rating, rating=rating
        ),
    )
    await sync_group(app, view)
    await state.set_state(TicketTalk.rating_comment)
    await state.set_data({"ticket_id": view.ticket.id})
    await reply(
        in_chat(query),
        _(
            "Thanks for confirming {ref}. Would you like to add a comment? "
            "Send it now, or press Skip."
        ).format(ref=ticket_ref(view.ticket)),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("Skip"),
                        callback_data=MyTicket(
                            action="no_comment", ticket_id=view.ticket.id
                        ).pack(),
                    )
                ]
            ]
        ),
    )


@router.callback_query(MyTicket.filter(F.action == "no_comment"), StateFilter("*"))
async def skip_comment(query: CallbackQuery, callback_data: MyTicket, state: FSMContext) -> None:
    """Skip ends the comment step of its own ticket once; an old Skip (pressed
    again, or after the comment was sent) only loses its button."""
    waiting = await state.get_state() == TicketTalk.rating_comment.state and (
        (await state.get_data()).get("ticket_id") == callback_data.ticket_id
    )
    await drop_buttons(query)
    if not waiting:
        await answer_query(query)
        return
    await state.clear()
    await reply(query, _("Thank you! The ticket is closed."))


@router.message(TicketTalk.rating_comment, PLAIN_TEXT)
async def got_comment(
    message: Message, state: FSMContext, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    comment = await read_text(message, max_len=service.MAX_REASON)
    if comment is None:
        return
    ticket = await ticket_of_step(session, state)
    await state.clear()
    try:
        if ticket is None:
            raise service.TicketNotFound("the step's ticket")
        assert identity.person_id is not None
        await service.add_rating_comment(session, app.clock, ticket, identity.person_id, comment)
    except service.TicketError:
        await session.rollback()
        await state.clear()
        await reply(message, _("Sorry, I could not save that comment."))
        return
    view = await load_view(session, ticket)
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("💬 Resident's comment: {comment}").format(comment=escape(comment)),
    )
    await sync_group(app, view)
    await reply(message, _("Thank you! Your comment is saved and the ticket is closed."))


@router.message(TicketTalk.rating_comment)
async def comment_expected(message: Message) -> None:
    await message.answer(_("Please send your comment as text, or press Skip."))
