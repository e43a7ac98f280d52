"""What the fee commands in the admin group share: choice buttons, the Confirm /
Cancel keyboard, and asking for the confirmation of a money-changing action.

A money-changing command is shown back in full and waits in ``Pending.confirm``
with what it will do (plain values, see core.fees.staff_actions) until the same
staff member presses Confirm (handlers.fees.confirm).
"""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from core.fees.staff_actions import Actor
from core.identity import Identity


class Pending(StatesGroup):
    confirm = State()


class ChoiceCb(CallbackData, prefix="fst"):
    step: str
    value: str


class ConfirmCb(CallbackData, prefix="fcf"):
    yes: bool


def choice_buttons(step: str, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=ChoiceCb(step=step, value=v).pack())]
            for v, label in options
        ]
    )


def confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✅ Confirm"), callback_data=ConfirmCb(yes=True).pack()
                ),
                InlineKeyboardButton(text=_("✖ Cancel"), callback_data=ConfirmCb(yes=False).pack()),
            ]
        ]
    )


def actor(identity: Identity) -> Actor:
    return Actor(person_id=identity.person_id, telegram_id=identity.telegram_id)


async def ask_confirmation(
    message: Message, state: FSMContext, data: dict[str, Any], summary: str
) -> None:
    """Show the action back and wait for Confirm; ``data["action"]`` names it."""
    await state.clear()
    await state.set_state(Pending.confirm)
    await state.set_data(data)
    await message.reply(summary, reply_markup=confirm_keyboard())
