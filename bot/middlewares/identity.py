"""Resolves who sent the update (unknown / resident / staff) as ``identity``.

A person record is created on first private contact, with the language Telegram
reports, so the bot answers in it from the first message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import telegram_to_locale
from bot.ledger import apart_from_update
from core.identity import (
    Identity,
    IdentityCache,
    load_identity,
    register_first_contact,
    set_username,
)


class IdentityMiddleware(BaseMiddleware):
    def __init__(
        self,
        default_locale: str,
        cache: IdentityCache | None = None,
    ) -> None:
        self.default_locale = default_locale
        self.cache = cache or IdentityCache()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        session: AsyncSession = data["session"]
        if user is None or user.is_bot:
            data["identity"] = Identity(person_id=None, telegram_id=0)
            return await handler(event, data)
        # Group chats are where staff act: always read fresh there.
        if chat is not None and chat.type == "private":
            identity = await self.cache.load(session, user.id)
        else:
            identity = await load_identity(session, user.id)
        if not identity.is_known and (chat is None or chat.type == "private"):
            full_name = user.full_name[:120]
            locale = telegram_to_locale(user.language_code, self.default_locale)
            with apart_from_update(session):  # the handler's work records the update
                created = await register_first_contact(
                    session, user.id, full_name=full_name, username=user.username, locale=locale
                )
            if created is not None:
                self.cache.remember(created)
            identity = created or await load_identity(session, user.id)
        elif identity.is_known and identity.username != user.username:
            # Staff find people in the audit log by the @username they know.
            identity = await set_username(session, identity, user.username, self.cache)
        data["identity"] = identity
        data["identity_cache"] = self.cache
        return await handler(event, data)
