"""A delivery pass: a courier's code for a short window, made in the chat.

1. ``/delivery`` or 📦 in the menu; a resident of several homes with gates picks one.
2. How long from now: 30 minutes, 1, 2 or 4 hours, or typed (``90 min``, ``1.5 h``);
   outside :data:`access.passes.rules.MIN_DELIVERY_WINDOW` –
   :data:`~access.passes.rules.MAX_DELIVERY_WINDOW` is explained and asked again.
3. Once, or any number of times within the window (several parcels, one courier).
4. Made at once for every gate of the community: the host gets the code, the QR and
   a share link to forward to the courier, and is told at each entry.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.pass_input import parse_length
from access.passes import IssuedPass, PassError
from access.passes.rules import check_delivery_window
from access.passes.shared import issue_delivery_pass
from bot.context import AppContext
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import NOT_A_COMMAND, Home, Making, ask, flow_entry, on_create, reask
from handlers.gate.states import DeliveryPass
from handlers.gate.texts import pass_error_text
from handlers.kit import (
    button_choice,
    menu_entry,
    private_command,
    private_router,
    reply,
    residents,
)

router = private_router("gate.delivery")

# The window buttons: minutes from now.
_PRESETS = {"30": 30, "60": 60, "120": 120, "240": 240}


async def _begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await ask(
        event,
        state,
        DeliveryPass.window,
        _(
            "📦 Delivery pass for {unit}: a code for your courier, from now.\n"
            "How long may it be used? Choose, or type it (e.g. <code>90 min</code>)."
        ).format(unit=escape(found.unit.unit_label)),
        [button(_("30 minutes"), "dwin", "30"), button(_("1 hour"), "dwin", "60")],
        [button(_("2 hours"), "dwin", "120"), button(_("4 hours"), "dwin", "240")],
    )


menu_entry("passes_delivery", __("📦 Delivery pass"), residents, order=35)
private_command("delivery", __("A code for a courier"), order=35)
flow_entry(
    router, menu="passes_delivery", command="delivery", ask_home=DeliveryPass.unit, begin=_begin
)


async def _window_chosen(event: Message | CallbackQuery, state: FSMContext, minutes: int) -> None:
    try:
        check_delivery_window(timedelta(minutes=minutes))
    except PassError as exc:
        await reply(event, pass_error_text(exc))
        return
    await state.update_data(minutes=minutes)
    await ask(
        event,
        state,
        DeliveryPass.entries,
        _("May the courier use it once, or any number of times within the window?"),
        [button(_("Once"), "dentries", "single"), button(_("Any number"), "dentries", "multi")],
    )


@router.callback_query(DeliveryPass.window, PassCb.filter(F.action == "dwin"))
async def window_button(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    await _window_chosen(query, state, _PRESETS[button_choice(callback_data.value, _PRESETS)])


@router.message(DeliveryPass.window, F.text, NOT_A_COMMAND)
async def window_text(message: Message, state: FSMContext) -> None:
    length = parse_length(message.text or "")
    if length is None:
        await message.answer(
            _("I could not read that. Please send it like <code>45 min</code> or <code>2 h</code>.")
        )
        return
    await _window_chosen(message, state, int(length.total_seconds() // 60))


reask(router, DeliveryPass.window, text=__("Please choose how long with the buttons, or type it."))


async def _make(made: Making, value: str, session: AsyncSession, app: AppContext) -> IssuedPass:
    reusable = button_choice(value, {"single", "multi"}) == "multi"
    return await issue_delivery_pass(
        session,
        secret_key=app.secret_key,
        now=app.clock.now(),
        host_person_id=made.person_id,
        host_unit_id=made.home.unit.unit_id,
        length=timedelta(minutes=int(made.data["minutes"])),
        reusable=reusable,
    )


on_create(router, DeliveryPass.entries, PassCb.filter(F.action == "dentries"), "/delivery", _make)


reask(router, DeliveryPass.entries, text=__("Please choose once or any number with the buttons."))
