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

import re
from datetime import datetime, timedelta
from html import escape

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.passes import MAX_WORKER_DAYS, clean_phone
from bot.context import AppContext
from core.formatting import local_dt
from core.identity import Identity
from handlers.gate.keyboards import PassCb, button, with_cancel
from handlers.gate.pass_steps import Home, home, start_with_home
from handlers.gate.states import WorkerRequest
from handlers.gate.texts import category_labels
from handlers.kit import menu_entry, private_command, private_router, reply, residents

router = private_router("gate.worker_request")

menu_entry("passes_worker", __("👷 Worker pass"), residents, order=33)
private_command("workerpass", __("Request a worker pass"), order=33)


@router.callback_query(F.data == "menu:passes_worker", StateFilter("*"))
@router.message(Command("workerpass"), StateFilter("*"))
async def worker_start(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    found = await start_with_home(event, state, session, identity, WorkerRequest.unit)
    if found is not None:
        await _worker_begin(event, state, found)


@router.callback_query(WorkerRequest.unit, PassCb.filter(F.action == "unit"))
async def worker_unit(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    found = await home(session, identity, int(callback_data.value))
    if found is None:
        await query.answer(_("That home is no longer available."), show_alert=True)
        return
    await _worker_begin(query, state, found)


async def _worker_begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await state.set_state(WorkerRequest.category)
    await state.update_data(
        unit_id=found.unit.unit_id, unit_label=found.unit.unit_label, tz=found.community.timezone
    )
    rows = [[button(label, "category", value)] for value, label in category_labels().items()]
    await reply(
        event,
        _("👷 Worker pass for {unit}. Staff approve it in the office.\nWhat kind of work?").format(
            unit=escape(found.unit.unit_label)
        ),
        reply_markup=with_cancel(*rows),
    )


@router.callback_query(WorkerRequest.category, PassCb.filter(F.action == "category"))
async def worker_category(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    if callback_data.value not in category_labels():
        await query.answer()
        return
    await state.update_data(category=callback_data.value)
    await state.set_state(WorkerRequest.name)
    await reply(query, _("The worker's full name?"), reply_markup=with_cancel())


@router.message(WorkerRequest.category)
async def worker_category_reask(message: Message) -> None:
    await message.answer(_("Please choose the kind of work with the buttons."))


@router.message(WorkerRequest.name, F.text)
async def worker_name(message: Message, state: FSMContext) -> None:
    name = re.sub(r"\s+", " ", message.text or "").strip()
    if not 2 <= len(name) <= 60 or name.startswith("/"):
        await message.answer(_("Please send the worker's name (2 to 60 characters)."))
        return
    await state.update_data(worker_name=name)
    await state.set_state(WorkerRequest.phone)
    await message.answer(_("The worker's phone number? (type it, or share their contact)"))


@router.message(WorkerRequest.name)
async def worker_name_reask(message: Message) -> None:
    await message.answer(_("Please send the worker's name as text."))


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
    await state.set_state(WorkerRequest.company)
    await message.answer(
        _("Their company? (optional)"),
        reply_markup=with_cancel([button(_("Skip ➡️"), "skip_company")]),
    )


@router.message(WorkerRequest.phone)
async def worker_phone_reask(message: Message) -> None:
    await message.answer(_("Please send the phone number as text or as a contact."))


async def _ask_dates(event: Message | CallbackQuery, state: FSMContext, now: datetime) -> None:
    await state.set_state(WorkerRequest.dates)
    data = await state.get_data()
    today = local_dt(now, data["tz"]).date()
    example = f"{today:%Y-%m-%d} - {today + timedelta(days=13):%Y-%m-%d}"
    await reply(
        event,
        _(
            "Which days? Choose, or send the first and last day like <code>{example}</code> "
            "(at most {days} days)."
        ).format(example=example, days=MAX_WORKER_DAYS),
        reply_markup=with_cancel(
            [button(_("Today only"), "dates", "today"), button(_("7 days"), "dates", "7")],
            [button(_("14 days"), "dates", "14"), button(_("30 days"), "dates", "30")],
        ),
    )


@router.callback_query(WorkerRequest.company, PassCb.filter(F.action == "skip_company"))
async def worker_skip_company(query: CallbackQuery, state: FSMContext, app: AppContext) -> None:
    await state.update_data(company="")
    await _ask_dates(query, state, app.clock.now())


@router.message(WorkerRequest.company, F.text)
async def worker_company(message: Message, state: FSMContext, app: AppContext) -> None:
    company = re.sub(r"\s+", " ", message.text or "").strip()
    if not 1 <= len(company) <= 120 or company.startswith("/"):
        await message.answer(
            _("Please send the company name (up to 120 characters), or press Skip.")
        )
        return
    await state.update_data(company=company)
    await _ask_dates(message, state, app.clock.now())


@router.message(WorkerRequest.company)
async def worker_company_reask(message: Message) -> None:
    await message.answer(_("Please send the company name as text, or press Skip."))
