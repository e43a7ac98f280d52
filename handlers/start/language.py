"""Choosing the language, from any conversation step.

Steps: /language → the languages as buttons → a press stores the choice (the
person's identity is refreshed), confirms in the new language and shows home.
"""

from __future__ import annotations

from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity, IdentityCache, set_locale
from handlers.kit import answer_query, button_choice, private_command, private_router, send_home

router = private_router("language")

private_command("language", __("Change language / 切换语言"), order=95)

LANGUAGE_NAMES = {"zh_Hans": "简体中文", "en": "English"}


class LangCb(CallbackData, prefix="lang"):
    code: str


@router.message(Command("language"), StateFilter("*"))
async def language(message: Message) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=name, callback_data=LangCb(code=code).pack())
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )
    await message.answer(_("Choose your language:"), reply_markup=keyboard)


@router.callback_query(LangCb.filter(), StateFilter("*"))
async def set_language(
    query: CallbackQuery,
    callback_data: LangCb,
    session: AsyncSession,
    identity: Identity,
    i18n: I18n,
    identity_cache: IdentityCache | None = None,
) -> None:
    code = button_choice(callback_data.code, LANGUAGE_NAMES)
    if identity.person_id is None:
        await answer_query(query)
        return
    refreshed = await set_locale(session, identity, code, identity_cache)
    with i18n.use_locale(code):
        await answer_query(query)
        if isinstance(query.message, Message):
            await query.message.edit_text(
                _("Language set to {language}.").format(language=LANGUAGE_NAMES[code])
            )
            await send_home(query.message, refreshed)
