"""Buttons and in-place edits the profile's screens share."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message


class PrCb(CallbackData, prefix="pr"):
    action: str  # out/outy (move out), wd/wdy (withdraw), export, erase/erasey, privacy
    id: int = 0


def button(text: str, action: str, id_: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PrCb(action=action, id=id_).pack())


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show the next screen in place of the one whose button was pressed."""
    assert isinstance(query.message, Message)
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest:
        await query.message.answer(text, reply_markup=markup)
