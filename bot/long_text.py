"""No message fails for being too long: the sender's safety net.

Features fit their texts on purpose where it matters (a ticket's relayed message is
split into numbered parts, lists are paged). Anything that still comes out longer
than Telegram takes — a list grown past what its author imagined — is not refused
with an apology in the chat but delivered:

- ``sendMessage``: as several messages, broken between whole lines where no HTML tag
  is open (core.text_limits.split_text); the reply goes with the first, the buttons
  with the last, whose answer is returned.
- ``editMessageText``, and captions (``sendPhoto``, ``sendDocument`` …,
  ``editMessageCaption``): an edit cannot become two messages and a caption belongs
  to its file, so the text is shortened, with "…".

It is the outermost request middleware, so each part passes the send limits
(bot.sender.OutgoingLimiter) on its own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import EditMessageText, Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType

from core.text_limits import CAPTION_LIMIT, TEXT_LIMIT, shorten, split_text, visible_length

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


def _is_html(method: Any, bot: Bot) -> bool:
    mode = getattr(method, "parse_mode", None)
    if isinstance(mode, Default):
        mode = bot.default[mode.name]
    return isinstance(mode, str) and mode.upper() == "HTML"


def _too_long(text: str | None, limit: int) -> bool:
    # Cheap first: a text of fewer characters than the limit fits.
    return text is not None and len(text) > limit // 2 and visible_length(text) > limit


class LongTextSplitter(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if getattr(method, "entities", None) or getattr(method, "caption_entities", None):
            return await make_request(bot, method)  # offsets we would have to move
        if isinstance(method, SendMessage) and _too_long(method.text, TEXT_LIMIT):
            return await self._split(make_request, bot, method)
        if (
            isinstance(method, EditMessageText)
            and method.text
            and _too_long(method.text, TEXT_LIMIT)
        ):
            short = shorten(method.text, TEXT_LIMIT, html=_is_html(method, bot))
            log.warning("edited text shortened", extra={"fields": {"chat": method.chat_id}})
            return await make_request(bot, method.model_copy(update={"text": short}))  # type: ignore[arg-type]
        caption = getattr(method, "caption", None)
        if isinstance(caption, str) and _too_long(caption, CAPTION_LIMIT):
            short = shorten(caption, CAPTION_LIMIT, html=_is_html(method, bot))
            log.warning("caption shortened", extra={"fields": {"method": method.__api_method__}})
            return await make_request(bot, method.model_copy(update={"caption": short}))
        return await make_request(bot, method)

    async def _split(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: SendMessage,
    ) -> Response[TelegramType]:
        parts = split_text(method.text, TEXT_LIMIT, html=_is_html(method, bot))
        log.warning(
            "long message sent in parts",
            extra={"fields": {"chat": method.chat_id, "parts": len(parts)}},
        )
        response: Response[TelegramType] | None = None
        for index, part in enumerate(parts):
            first, last = index == 0, index == len(parts) - 1
            piece = method.model_copy(
                update={
                    "text": part,
                    "reply_markup": method.reply_markup if last else None,
                    "reply_parameters": method.reply_parameters if first else None,
                    "reply_to_message_id": method.reply_to_message_id if first else None,
                }
            )
            response = await make_request(bot, piece)  # type: ignore[arg-type]
        assert response is not None
        return response
