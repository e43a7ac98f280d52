"""Sets the gettext locale for the update: the person's chosen language, else
Telegram's ``language_code``, else the deployment default."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from bot.i18n import SUPPORTED, telegram_to_locale
from core.identity import Identity


def person_locale(identity: Identity | None, user: User | None, default: str) -> str:
    """The language to speak to ``user``: the one they chose (``identity``), else
    Telegram's ``language_code``, else ``default``."""
    if identity is not None and identity.locale in SUPPORTED:
        return identity.locale
    return telegram_to_locale(user.language_code if user else None, default)


class LocaleMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        locale = person_locale(
            data.get("identity"), data.get("event_from_user"), self.i18n.default_locale
        )
        data["locale"] = locale
        return locale
