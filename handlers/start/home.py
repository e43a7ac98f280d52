"""The home menu and the commands that work in any conversation step.

Steps: /start (no payload) or /menu → the step is dropped, the greeting and the
home menu are shown; the menu's Home button does the same; /help lists what the
bot does; /cancel drops the step, says whether there was one, and shows home.
Deep links (/start <payload>) go to the area that owns the payload; one nobody
claimed ends in the fallback (``handlers.start.fallback``) and shows home.

Included before every other area's router (``first``), so these work in any state.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from core.identity import Identity
from handlers.kit import private_command, private_router, send_home

router = private_router("start")

private_command("start", __("Home menu"), order=0)
private_command("help", __("What I can do"), order=90)
private_command("cancel", __("Cancel the current step"), order=99)


@router.message(CommandStart(deep_link=False), StateFilter("*"))
@router.message(Command("menu"), StateFilter("*"))
async def home(message: Message, state: FSMContext, identity: Identity) -> None:
    await state.clear()
    await send_home(message, identity)


@router.callback_query(F.data == "menu:home", StateFilter("*"))
async def home_button(query: CallbackQuery, state: FSMContext, identity: Identity) -> None:
    await state.clear()
    await send_home(query, identity)


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
