"""The profile's buttons and its yes-or-back questions, shared by its screens."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from handlers.movein.views import show


class PrCb(CallbackData, prefix="pr"):
    action: str  # out/outy (move out), wd/wdy (withdraw), export, erase/erasey, privacy
    id: int = 0


def button(text: str, action: str, id_: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PrCb(action=action, id=id_).pack())


def back_to_profile() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅ Back"), callback_data="menu:profile")


async def ask_to_confirm(
    query: CallbackQuery, question: str, yes: InlineKeyboardButton, back: InlineKeyboardButton
) -> None:
    """Ask in place of the screen whose button was pressed: yes, or back."""
    await show(query, question, InlineKeyboardMarkup(inline_keyboard=[[yes], [back]]))
