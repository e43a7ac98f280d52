"""Putting one notice in one chat: text, or a photo / PDF with the text as caption,
and the "Got it" button. The preview in the admin group goes through the same call,
so staff see exactly what residents get."""

from __future__ import annotations

from typing import Any

from aiogram import Bot

from core.community.event_models import Event
from core.community.models import Phase, Vote
from core.community.notices import NoticeDraft
from handlers.community.event_views import event_keyboard, event_text
from handlers.community.views import ack_keyboard, notice_text
from handlers.community.vote_views import vote_message


async def put_notice(
    bot: Bot,
    chat_id: int,
    draft: NoticeDraft,
    tz: str,
    notice_id: int,
    phase: Phase,
    vote: Vote | None = None,
    event: Event | None = None,
) -> Any:
    """Send it (in the current locale); the sent message. A vote's message is
    written from the vote (:mod:`.vote_views`), an event's announcement from the
    event, with its "Sign up" button (:mod:`.event_views`)."""
    if vote is not None:
        text, vote_markup = vote_message(vote, draft.kind, tz)
        return await bot.send_message(chat_id, text, reply_markup=vote_markup)
    text = notice_text(draft, tz, phase) if event is None else event_text(event, tz)
    if phase != Phase.NOTICE:
        return await bot.send_message(chat_id, text)
    markup = ack_keyboard(notice_id) if event is None else event_keyboard(event.id or 0)
    if draft.attachment_kind == "photo" and draft.attachment_file_id:
        return await bot.send_photo(
            chat_id, draft.attachment_file_id, caption=text, reply_markup=markup
        )
    if draft.attachment_kind == "document" and draft.attachment_file_id:
        return await bot.send_document(
            chat_id, draft.attachment_file_id, caption=text, reply_markup=markup
        )
    return await bot.send_message(chat_id, text, reply_markup=markup)
