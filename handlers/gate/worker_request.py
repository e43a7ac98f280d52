"""Requesting a worker pass, first part: who is coming.

1. ``/workerpass`` or 👷 in the menu; a resident of several homes with gates picks one.
2. The kind of work (renovation, housekeeping, delivery).
3. The worker's full name.
4. Their phone number, typed or as a shared contact.
5. Their company (optional); then the days are asked.

Then ``worker_schedule``: days, daily hours, weekdays, gates, confirm, and the
request goes to the admin group, where staff approve or reject it
(``worker_decision``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from access.passes import COMPANY_MAX_LEN, MAX_WORKER_DAYS, NAME_MAX_LEN, clean_phone
from bot.context import AppContext
from core.formatting import local_dt
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import NOT_A_COMMAND, Home, ask, flow_entry, read_line, reask
from handlers.gate.states import WorkerRequest
from handlers.gate.texts import category_labels
from handlers.kit import button_choice, menu_entry, private_command, private_router, residents

router = private_router("gate.worker_request")


async def _begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await ask(
        event,
        state,
        WorkerRequest.category,
        _("👷 Worker pass for {unit}. Staff approve it in the office.\nWhat kind of work?").format(
            unit=escape(found.unit.unit_label)
        ),
        *([button(label, "category", value)] for value, label in category_labels().items()),
    )


menu_entry("passes_worker", __("👷 Worker pass"), residents, order=33)
private_command("workerpass", __("Request a worker pass"), order=33)
flow_entry(
    router, menu="passes_worker", command="workerpass", ask_home=WorkerRequest.unit, begin=_begin
)


@router.callback_query(WorkerRequest.category, PassCb.filter(F.action == "category"))
async def worker_category(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    category = button_choice(callback_data.value, category_labels())
    await state.update_data(category=category)
    await ask(query, state, WorkerRequest.name, _("The worker's full name?"))


reask(router, WorkerRequest.category, text=__("Please choose the kind of work with the buttons."))


# A worker's name is more than an initial.
NAME_MIN_LEN = 2


@router.message(WorkerRequest.name, F.text, NOT_A_COMMAND)
async def worker_name(message: Message, state: FSMContext) -> None:
    name = await read_line(message, max_len=NAME_MAX_LEN, min_len=NAME_MIN_LEN)
    if name is None:
        return
    await state.update_data(worker_name=name)
    await state.set_state(WorkerRequest.phone)
    await message.answer(_("The worker's phone number? (type it, or share their contact)"))


reask(router, WorkerRequest.name, text=__("Please send the worker's name as text."))


@router.message(WorkerRequest.phone, F.contact)
@router.message(WorkerRequest.phone, F.text)
async def worker_phone(message: Message, state: FSMContext) -> None:
    raw = message.contact.phone_number if message.contact else (message.text or "")
    phone = clean_phone(raw)
    if phone is None:
        await message.answer(
            _("That does not look like a phone number. Please send digits, e.g. 13900001111.")
        )
        return
    await state.update_data(worker_phone=phone)
    await ask(
        message,
        state,
        WorkerRequest.company,
        _("Their company? (optional)"),
        [button(_("Skip ➡️"), "skip_company")],
    )


reask(router, WorkerRequest.phone, text=__("Please send the phone number as text or as a contact."))


async def _ask_dates(event: Message | CallbackQuery, state: FSMContext, now: datetime) -> None:
    today = local_dt(now, (await state.get_data())["tz"]).date()
    example = f"{today:%Y-%m-%d} - {today + timedelta(days=13):%Y-%m-%d}"
    await ask(
        event,
        state,
        WorkerRequest.dates,
        _(
            "Which days? Choose, or send the first and last day like <code>{example}</code> "
            "(at most {days} days)."
        ).format(example=example, days=MAX_WORKER_DAYS),
        [button(_("Today only"), "dates", "today"), button(_("7 days"), "dates", "7")],
        [button(_("14 days"), "dates", "14"), button(_("30 days"), "dates", "30")],
    )


@router.callback_query(WorkerRequest.company, PassCb.filter(F.action == "skip_company"))
async def worker_skip_company(query: CallbackQuery, state: FSMContext, app: AppContext) -> None:
    await state.update_data(company="")
    await _ask_dates(query, state, app.clock.now())


@router.message(WorkerRequest.company, F.text, NOT_A_COMMAND)
async def worker_company(message: Message, state: FSMContext, app: AppContext) -> None:
    company = await read_line(message, max_len=COMPANY_MAX_LEN)
    if company is not None:
        await state.update_data(company=company)
        await _ask_dates(message, state, app.clock.now())


reask(
    router, WorkerRequest.company, text=__("Please send the company name as text, or press Skip.")
)
