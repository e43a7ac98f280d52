"""The last router: whatever no area handled in a private chat, and stale buttons.

Steps: a deep link nobody claimed → home; an unknown command → a hint at /help;
any other message with no step open → "choose from the menu"; inside a step →
"answer the question above, or /cancel"; a button nobody answers → "no longer
active".
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart, StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.identity import Identity
from handlers.kit import answer_stale, menu_keyboard
from handlers.start.home import home

# Not a private_router: a stale button in a group is answered here too.
router = Router(name="fallback")

router.message(F.chat.type == "private", CommandStart(deep_link=True), StateFilter("*"))(home)


@router.message(F.chat.type == "private", F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know that command. Send /help to see what I can do, or /start for the menu.")
    )


@router.message(F.chat.type == "private", StateFilter(None))
async def unexpected_message(message: Message, identity: Identity) -> None:
    await message.answer(
        _("I didn't catch that. Please choose from the menu:"), reply_markup=menu_keyboard(identity)
    )


@router.message(F.chat.type == "private")
async def unexpected_in_flow(message: Message) -> None:
    await message.answer(
        _("That is not what I asked for. Please answer the question above, or send /cancel.")
    )


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await answer_stale(query)
