"""What the phases of "Report a problem" share: the conversation's states, its
buttons, and the daily-limit refusal (asked at the start and again once the
community is known)."""

from __future__ import annotations

import enum

from aiogram import F
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.tickets import parties, service
from handlers.kit import reply
from handlers.tickets.callbacks import Filing


class FileTicket(StatesGroup):
    kind = State()
    category = State()
    hazard = State()
    place = State()
    common_area = State()
    common_more = State()
    description = State()
    media = State()
    urgency = State()
    confirm = State()


def button(text: str, step: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Filing(step=step, value=value).pack())


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _cancel_row() -> list[InlineKeyboardButton]:
    return [button(_("✖️ Cancel"), "abort", "x")]


def chosen(step: str, choices: type[enum.Enum]) -> CallbackQueryFilter:
    """A filing button of ``step`` standing for one of ``choices``."""
    return Filing.filter((F.step == step) & F.value.in_({c.value for c in choices}))


async def ask_choice(
    event: Message | CallbackQuery,
    question: str,
    buttons: list[InlineKeyboardButton],
    *,
    width: int = 2,
) -> None:
    """A question answered with one of ``buttons`` (``width`` to a row), or Cancel."""
    keyboard = InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons, width), _cancel_row()])
    await reply(event, question, reply_markup=keyboard)


def limit_text(limit: int) -> str:
    return _(
        "Sorry, you have already filed {limit} reports today, the daily maximum. "
        "Please add details to an existing ticket in “My tickets”, or try again tomorrow. "
        "For an emergency, call the duty phone."
    ).format(limit=limit)


async def limit_refusal(
    session: AsyncSession, app: AppContext, community_id: int, person_id: int
) -> str | None:
    """The refusal to show when the person filed today's maximum in the community."""
    community = await parties.load_community(session, community_id)
    if community is None:
        return None
    try:
        await service.check_daily_limit(session, app.clock, community, person_id)
    except service.DailyLimitReached as exc:
        return limit_text(exc.limit)
    return None


async def expected_a_button(message: Message) -> None:
    """The re-ask of every step that is answered with a button."""
    await message.answer(_("Please choose one of the buttons above (or send /cancel)."))
