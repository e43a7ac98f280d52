"""The command lists shown in Telegram's menu, per scope and language.

Feature modules register their commands at import time; ``publish_commands``
sends them with ``setMyCommands`` for every supported language.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from bot.i18n import CatalogI18n


@dataclass(frozen=True)
class CommandSpec:
    command: str
    description: LazyProxy | str
    order: int


PRIVATE: dict[str, CommandSpec] = {}
GROUP: dict[str, CommandSpec] = {}

# Telegram's language_code for setMyCommands is ISO 639-1.
TELEGRAM_LANGS = {"zh_Hans": "zh", "en": "en"}


def private_command(command: str, description: LazyProxy | str, order: int = 50) -> None:
    PRIVATE[command] = CommandSpec(command, description, order)


def group_command(command: str, description: LazyProxy | str, order: int = 50) -> None:
    GROUP[command] = CommandSpec(command, description, order)


def _render(specs: dict[str, CommandSpec], i18n: CatalogI18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [
            BotCommand(command=s.command, description=str(s.description)[:256])
            for s in sorted(specs.values(), key=lambda s: (s.order, s.command))
        ]


async def publish_commands(bot: Bot, i18n: CatalogI18n, default_locale: str) -> None:
    scopes = (
        (BotCommandScopeAllPrivateChats(), PRIVATE),
        (BotCommandScopeAllGroupChats(), GROUP),
    )
    for scope, specs in scopes:
        await bot.set_my_commands(_render(specs, i18n, default_locale), scope=scope)
        for locale, code in TELEGRAM_LANGS.items():
            await bot.set_my_commands(_render(specs, i18n, locale), scope=scope, language_code=code)
    await bot.set_my_commands(
        _render(PRIVATE, i18n, default_locale), scope=BotCommandScopeDefault()
    )
