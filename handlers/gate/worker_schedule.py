"""Requesting a worker pass, second part: when and where, and sending it. The daily
hours and weekdays steps serve a daily-help pass too (``daily_help``).

6. The days: today, 7, 14 or 30 days, or a typed first and last day (at most
   :data:`access.passes.MAX_WORKER_DAYS`).
7. The daily hours: a preset or typed (``08:30-17:30``).
8. The weekdays: Mon–Sat, Mon–Fri or every day.
9. The gates, then the summary to confirm (``gate_step``).
10. Send for approval: the request is written as a pending pass and its card goes to
    the admin group; the host is told it is with the office (or that the office could
    not be reached, with its phone).
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import WorkerCategory
from access.pass_input import parse_dates, parse_hours
from access.passes import (
    MAX_WORKER_DAYS,
    PassError,
    check_worker_days,
    check_worker_hours,
    request_worker_pass,
)
from bot.context import AppContext
from bot.notify import send_to_admin_group
from core.formatting import local_dt
from core.identity import Identity
from handlers.gate.gate_step import ask_gates
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import ask, making, nothing_saved, reask
from handlers.gate.states import DailyHelp, WorkerRequest
from handlers.gate.views import worker_request_card
from handlers.kit import button_choice, button_ints, commit_before_send, private_router, reply

router = private_router("gate.worker_schedule")


def _days_problem(exc: PassError) -> str:
    if exc.code == "starts_in_past":
        return _("The first day cannot be in the past. Please send the days again.")
    if exc.code == "bad_range":
        return _("The last day must not be before the first day. Please send them again.")
    return _("A worker pass can cover at most {days} days.").format(days=MAX_WORKER_DAYS)


async def _dates_chosen(
    event: Message | CallbackQuery, state: FSMContext, first: date, last: date, today: date
) -> None:
    try:
        check_worker_days(first, last, today)
    except PassError as exc:
        await reply(event, _days_problem(exc))
        return
    await state.update_data(first_day=first.isoformat(), last_day=last.isoformat())
    await ask_hours(event, state, WorkerRequest.hours)


# The steps daily help shares with a worker's request (decision 0031): the hours, then
# the weekdays, then the gates — each flow's next step by the step it is at.
_AFTER_HOURS = {
    WorkerRequest.hours.state: WorkerRequest.days,
    DailyHelp.hours.state: DailyHelp.days,
}
_AFTER_DAYS = {WorkerRequest.days.state: WorkerRequest.gates, DailyHelp.days.state: DailyHelp.gates}
_HOURS = StateFilter(WorkerRequest.hours, DailyHelp.hours)
_DAYS = StateFilter(WorkerRequest.days, DailyHelp.days)


async def ask_hours(event: Message | CallbackQuery, state: FSMContext, step: State) -> None:
    """The daily-hours step (``WorkerRequest.hours`` or ``DailyHelp.hours``)."""
    await ask(
        event,
        state,
        step,
        _("Daily hours? Choose, or send them like <code>08:30-17:30</code>."),
        [
            button("08:00–18:00", "hours", "480-1080"),
            button("09:00–17:00", "hours", "540-1020"),
        ],
        [button("07:00–20:00", "hours", "420-1200")],
    )


@router.callback_query(WorkerRequest.dates, PassCb.filter(F.action == "dates"))
async def worker_dates_button(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext, app: AppContext
) -> None:
    data = await state.get_data()
    today = local_dt(app.clock.now(), data["tz"]).date()
    choices = {"today": 1, "7": 7, "14": 14, "30": 30}
    days = choices[button_choice(callback_data.value, choices)]
    await _dates_chosen(query, state, today, today + timedelta(days=days - 1), today)


@router.message(WorkerRequest.dates, F.text)
async def worker_dates_text(message: Message, state: FSMContext, app: AppContext) -> None:
    data = await state.get_data()
    parsed = parse_dates(message.text or "")
    if parsed is None:
        first = local_dt(app.clock.now(), data["tz"]).date() + timedelta(days=1)
        example = f"{first:%Y-%m-%d} - {first + timedelta(days=14):%Y-%m-%d}"
        await message.answer(
            _("I could not read that. Please send it like <code>{example}</code>.").format(
                example=example
            )
        )
        return
    await _dates_chosen(message, state, *parsed, local_dt(app.clock.now(), data["tz"]).date())


reask(
    router,
    WorkerRequest.dates,
    text=__("Please choose the days with the buttons or send them as text."),
)


async def _hours_chosen(
    event: Message | CallbackQuery, state: FSMContext, start: int, end: int
) -> None:
    try:
        check_worker_hours(start, end)
    except PassError:
        await reply(event, _("The end of the day must be after its start, e.g. 08:00-18:00."))
        return
    await state.update_data(daily_start_min=start, daily_end_min=end)
    await ask(
        event,
        state,
        _AFTER_HOURS[await state.get_state()],
        _("On which weekdays?"),
        [button(_("Mon–Sat"), "days", "63"), button(_("Mon–Fri"), "days", "31")],
        [button(_("Every day"), "days", "127")],
    )


@router.callback_query(_HOURS, PassCb.filter(F.action == "hours"))
async def worker_hours_button(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext
) -> None:
    start, end = button_ints(callback_data.value, "-", 2)
    await _hours_chosen(query, state, start, end)


@router.message(_HOURS, F.text)
async def worker_hours_text(message: Message, state: FSMContext) -> None:
    parsed = parse_hours(message.text or "")
    if parsed is None:
        await message.answer(_("Please send the hours like <code>08:30-17:30</code>."))
        return
    await _hours_chosen(message, state, *parsed)


reask(
    router,
    WorkerRequest.hours,
    DailyHelp.hours,
    text=__("Please choose the hours with the buttons or send them as text."),
)


@router.callback_query(_DAYS, PassCb.filter(F.action == "days"))
async def worker_days(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    weekdays = button_choice(callback_data.value, {"63", "31", "127"})
    await state.update_data(weekdays=int(weekdays))
    await ask_gates(query, state, session, identity, _AFTER_DAYS[await state.get_state()])


reask(
    router,
    WorkerRequest.days,
    DailyHelp.days,
    text=__("Please choose the weekdays with the buttons."),
)


# --- send ------------------------------------------------------------------------------------


@router.callback_query(WorkerRequest.confirm, PassCb.filter(F.action == "create"))
async def worker_submit(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    made = await making(query, state, session, identity)
    if made is None:
        return
    found, data = made.home, made.data
    try:
        row = await request_worker_pass(
            session,
            now=app.clock.now(),
            host_person_id=made.person_id,
            host_unit_id=found.unit.unit_id,
            worker_name=data["worker_name"],
            worker_phone=data["worker_phone"],
            company=data.get("company") or "",
            category=WorkerCategory(data["category"]),
            first_day=date.fromisoformat(data["first_day"]),
            last_day=date.fromisoformat(data["last_day"]),
            daily_start_min=data["daily_start_min"],
            daily_end_min=data["daily_end_min"],
            weekdays=data["weekdays"],
            gate_ids=list(data.get("gate_ids") or []),
        )
    except PassError as exc:
        await nothing_saved(query, state, exc, "/workerpass")
        return
    await state.clear()
    card, markup = worker_request_card(
        row, found.community, found.gates, identity.full_name, data["unit_label"]
    )
    # Staff may press Approve on the card the moment it is posted: the request must
    # be there for them to find.
    await commit_before_send(session)
    delivery = await send_to_admin_group(app, found.community, card, reply_markup=markup)
    if delivery.ok and delivery.result is not None:
        row.staff_message_id = delivery.result.message_id
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if delivery.ok:
        text = _(
            "📨 Request #{id} is with the property office. I will send you the "
            "code as soon as they approve it."
        ).format(id=row.id)
    else:
        text = _(
            "Request #{id} is saved, but I could not reach the property office's "
            "group. Please call them: {phone}"
        ).format(id=row.id, phone=escape(found.community.duty_phone or "—"))
    await reply(query, text)
