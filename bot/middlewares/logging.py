"""Puts the update id, chat and user into the structured log context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.logs import log_context


class LogContextMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        fields: dict[str, Any] = {}
        if isinstance(event, Update):
            fields["update_id"] = event.update_id
        chat = data.get("event_chat")
        user = data.get("event_from_user")
        if chat is not None:
            fields["chat_id"] = chat.id
        if user is not None:
            fields["user_id"] = user.id
        with log_context(**fields):
            return await handler(event, data)
