"""Start, help, menu, cancel and language: the conversation every person begins with.

``router`` is included first (so /cancel and /language work in any state);
``fallback_router`` last, answering whatever no feature handled.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import private_command
from core.identity import Identity, IdentityCache, set_locale
from handlers.kit import home_text, menu_keyboard, send_home

router = Router(name="common")
router.message.filter(F.chat.type == "private")
fallback_router = Router(name="fallback")

private_command("start", __("Home menu"), order=0)
private_command("help", __("What I can do"), order=90)
private_command("language", __("Change language / 切换语言"), order=95)
private_command("cancel", __("Cancel the current step"), order=99)

LANGUAGE_NAMES = {"zh_Hans": "简体中文", "en": "English"}


# Deep links (/start <payload>) go to the feature that owns the payload; one
# nobody claimed (an old or unknown link) ends in the fallback and shows home.
@fallback_router.message(F.chat.type == "private", CommandStart(deep_link=True), StateFilter("*"))
@router.message(CommandStart(deep_link=False), StateFilter("*"))
async def start(message: Message, state: FSMContext, identity: Identity) -> None:
    await state.clear()
    await send_home(message, identity)


@router.message(Command("menu"), StateFilter("*"))
async def menu(message: Message, state: FSMContext, identity: Identity) -> None:
    await state.clear()
    await send_home(message, identity)


@router.callback_query(F.data == "menu:home", StateFilter("*"))
async def menu_callback(query: CallbackQuery, state: FSMContext, identity: Identity) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(home_text(identity), reply_markup=menu_keyboard(identity))


@router.message(Command("help"), StateFilter("*"))
async def help_(message: Message) -> None:
    await message.answer(
        _(
            "I am Courtyard, your community's service desk.\n"
            "/start — home menu\n"
            "/language — change language\n"
            "/cancel — leave the current step\n"
            "Everything else is in the menu buttons."
        )
    )


@router.message(Command("cancel"), StateFilter("*"))
async def cancel(message: Message, state: FSMContext, identity: Identity) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    text = _("Cancelled. Nothing was saved.") if had_state else _("There is nothing to cancel.")
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    await send_home(message, identity)


@router.message(Command("language"), StateFilter("*"))
async def language(message: Message) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=name, callback_data=f"lang:{code}")
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )
    await message.answer(_("Choose your language:"), reply_markup=keyboard)


@router.callback_query(F.data.startswith("lang:"), StateFilter("*"))
async def set_language(
    query: CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    i18n: I18n,
    identity_cache: IdentityCache | None = None,
) -> None:
    code = (query.data or "").split(":", 1)[1]
    if code not in LANGUAGE_NAMES or identity.person_id is None:
        await query.answer()
        return
    refreshed = await set_locale(session, identity, code, identity_cache)
    with i18n.use_locale(code):
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(
                _("Language set to {language}.").format(language=LANGUAGE_NAMES[code])
            )
            await query.message.answer(home_text(refreshed), reply_markup=menu_keyboard(refreshed))


@fallback_router.message(F.chat.type == "private", F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know that command. Send /help to see what I can do, or /start for the menu.")
    )


@fallback_router.message(F.chat.type == "private", StateFilter(None))
async def unexpected_message(message: Message, identity: Identity) -> None:
    await message.answer(
        _("I didn't catch that. Please choose from the menu:"), reply_markup=menu_keyboard(identity)
    )


@fallback_router.message(F.chat.type == "private")
async def unexpected_in_flow(message: Message) -> None:
    await message.answer(
        _("That is not what I asked for. Please answer the question above, or send /cancel.")
    )


@fallback_router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active."), show_alert=False)
