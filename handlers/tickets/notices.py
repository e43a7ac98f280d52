"""Notices to the resident about their ticket, in their language.

Every notice is linked to the ticket, so a reply to it lands in the ticket's topic;
a resident who cannot be reached is reported in the topic instead of failing silently.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import locale_of
from bot.sender import Delivery, deliver
from core.tickets import service
from core.tickets.models import LinkRole, Ticket
from handlers.tickets.callbacks import MyTicket, RateTicket
from handlers.tickets.group import post_in_ticket
from handlers.tickets.views import TicketView


def unreachable_text(reason: str | None) -> str:
    if reason == "blocked":
        why = _("they have blocked the bot")
    elif reason == "deactivated":
        why = _("their Telegram account was deleted")
    elif reason == "no_telegram":
        why = _("they have no Telegram account")
    else:
        why = _("Telegram refused the message")
    return "⚠️ " + _("Not delivered to the resident: {why}.").format(why=why)


async def notify_resident(
    app: AppContext,
    session: AsyncSession,
    view: TicketView,
    build: Callable[[], str],
    *,
    reply_markup: Callable[[], InlineKeyboardMarkup] | None = None,
    report_failure: bool = True,
) -> Delivery:
    """A bot message to the reporter in their language, linked to the ticket so a reply
    lands in the topic. If they cannot be reached, the topic says so."""
    assert app.bot is not None
    person = view.reporter
    if person is None or person.telegram_id is None:
        delivery = Delivery(ok=False, reason="no_telegram")
    else:
        with app.i18n.use_locale(locale_of(app, person)):
            text = build()
            markup = reply_markup() if reply_markup is not None else None
            delivery = await deliver(
                app.bot.send_message(person.telegram_id, text, reply_markup=markup)
            )
    if delivery.ok and isinstance(delivery.result, Message):
        await service.link_message(
            session,
            view.ticket.id,
            delivery.result.chat.id,
            delivery.result.message_id,
            LinkRole.NOTICE,
        )
    elif not delivery.ok and report_failure:
        await post_in_ticket(app, session, view, lambda: unreachable_text(delivery.reason))
    return delivery


async def answer_linked(
    session: AsyncSession,
    ticket: Ticket,
    chat: Message,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """A message about the ticket in the resident's chat (``chat``: a message there),
    linked so a reply to it reaches the ticket's topic."""
    sent = await chat.answer(text, reply_markup=reply_markup)
    await service.link_message(session, ticket.id, sent.chat.id, sent.message_id, LinkRole.NOTICE)


def resolved_keyboard(ticket: Ticket) -> InlineKeyboardMarkup:
    """Under "resolved": rate 1–5 to confirm, or reopen."""
    stars = [
        InlineKeyboardButton(
            text=f"{n}⭐",
            callback_data=RateTicket(ticket_id=ticket.id, rating=n).pack(),
        )
        for n in range(1, 6)
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            stars,
            [
                InlineKeyboardButton(
                    text=_("🔁 Not fixed — reopen"),
                    callback_data=MyTicket(action="reopen", ticket_id=ticket.id).pack(),
                )
            ],
        ]
    )
