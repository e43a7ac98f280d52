"""Making a daily-help pass (nanny, cleaner, driver), shared by households.

1. ``/dailyhelp``, or ➕ under "🧹 Daily help" (``help_households``); a resident of
   several homes with gates picks one.
2. The role: nanny, cleaner or driver (buttons only).
3. Their name.
4. The daily hours and 5. the weekdays — the worker pass's steps
   (``worker_schedule``), read in the community's time zone.
6. The gates, then the summary to confirm (``gate_step``).
7. Create: the pass is written with this home as its first household; the resident
   gets the code, the QR and the share link, and shares it with another household
   from "🧹 Daily help" (``help_households``, /myhelp).
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.passes import NAME_MAX_LEN, IssuedPass
from access.passes.shared import issue_daily_help_pass
from bot.context import AppContext
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import (
    NOT_A_COMMAND,
    Home,
    Making,
    ask,
    flow_entry,
    on_create,
    read_line,
    reask,
)
from handlers.gate.states import DailyHelp
from handlers.gate.texts import help_role_labels
from handlers.gate.worker_schedule import ask_hours
from handlers.kit import button_choice, private_command, private_router

router = private_router("gate.daily_help")


async def _begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await ask(
        event,
        state,
        DailyHelp.role,
        _(
            "🧹 Daily help for {unit}: one pass on set days and hours, which other "
            "households can share.\nWho is it for?"
        ).format(unit=escape(found.unit.unit_label)),
        [button(label, "role", value) for value, label in help_role_labels().items()],
    )


private_command("dailyhelp", __("A pass for a nanny, cleaner or driver"), order=36)
flow_entry(router, menu="help_new", command="dailyhelp", ask_home=DailyHelp.unit, begin=_begin)


@router.callback_query(DailyHelp.role, PassCb.filter(F.action == "role"))
async def help_role(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    await state.update_data(role=button_choice(callback_data.value, help_role_labels()))
    await ask(query, state, DailyHelp.name, _("Their full name? (shown to the guard)"))


reask(router, DailyHelp.role, text=__("Please choose nanny, cleaner or driver with the buttons."))


@router.message(DailyHelp.name, F.text, NOT_A_COMMAND)
async def help_name(message: Message, state: FSMContext) -> None:
    name = await read_line(message, max_len=NAME_MAX_LEN, min_len=2)
    if name is None:
        return
    await state.update_data(help_name=name)
    await ask_hours(message, state, DailyHelp.hours)


reask(router, DailyHelp.name, text=__("Please send their name as text."))


async def _make(made: Making, _value: str, session: AsyncSession, app: AppContext) -> IssuedPass:
    data = made.data
    return await issue_daily_help_pass(
        session,
        secret_key=app.secret_key,
        now=app.clock.now(),
        host_person_id=made.person_id,
        host_unit_id=made.home.unit.unit_id,
        role=data["role"],
        name=data["help_name"],
        daily_start_min=data["daily_start_min"],
        daily_end_min=data["daily_end_min"],
        weekdays=data["weekdays"],
        gate_ids=list(data.get("gate_ids") or []),
    )


on_create(router, DailyHelp.confirm, PassCb.filter(F.action == "create"), "/dailyhelp", _make)
