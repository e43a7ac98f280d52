"""Answering an update, and reading a text answer with its length checked."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InaccessibleMessage,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None


async def answer_query(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press; a press answered too late (Telegram allows a few
    seconds) is logged, not raised: the work the press asked for goes on."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramBadRequest as exc:
        log.info("late button answer", extra={"fields": {"error": exc.message}})


async def reply(
    event: Message | CallbackQuery,
    text: str,
    *,
    reply_markup: ReplyMarkup = None,
    alert: bool = False,
) -> None:
    """Say ``text`` where the update came from: a message is answered in its chat;
    a button press is answered with ``text`` as an alert (``alert=True``), else
    silently, and ``text`` is sent to the button's chat."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=reply_markup)
        return
    if alert:
        await answer_query(event, text, alert=True)
        return
    await answer_query(event)
    if isinstance(event.message, Message):
        await event.message.answer(text, reply_markup=reply_markup)
    elif isinstance(event.message, InaccessibleMessage) and event.bot is not None:
        await event.bot.send_message(event.message.chat.id, text, reply_markup=reply_markup)


async def read_text(message: Message, *, max_len: int, min_len: int = 1) -> str | None:
    """The message's stripped text when it is text of ``min_len``–``max_len``
    characters; otherwise re-ask (the step stays where it is) and return None."""
    text = (message.text or "").strip()
    if not text:
        await message.answer(_("Please send your answer as text."))
        return None
    if len(text) > max_len:
        await message.answer(
            _("That is too long: at most {limit} characters, please.").format(limit=max_len)
        )
        return None
    if len(text) < min_len:
        await message.answer(
            _("That is too short: at least {limit} characters, please.").format(limit=min_len)
        )
        return None
    return text


async def edit(
    query: CallbackQuery, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the text (and buttons) of the pressed button's message; an edit
    Telegram refuses (the message is too old, gone, or unchanged) is logged."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text, reply_markup=reply_markup)
    except TelegramBadRequest as exc:
        log.info("message not edited", extra={"fields": {"error": str(exc)}})


async def drop_buttons(query: CallbackQuery) -> None:
    """Take the buttons off the pressed message; a message Telegram will not edit
    (too old, gone, or its buttons already gone) is left as it is."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest as exc:
        log.info("buttons not removed", extra={"fields": {"error": str(exc)}})
