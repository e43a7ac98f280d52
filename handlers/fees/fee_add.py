"""Adding a fee item in the admin group (managers), one question at a time.

Steps:
1. /fee_add — what is it called?
2. how is it charged (per m², fixed, per parking space)? — buttons
3. the rate or amount
4. which units: all, some buildings, or listed units (then: which?)
5. the due day of the month
6. a late fee, or none
7. how often it is billed — buttons; then the whole item is shown back with
   Confirm / Cancel (handlers.fees.confirm adds it).
/cancel stops at any step; nothing is saved before Confirm.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.common import FeeError, parse_money
from core.fees.models import FeeKind, FeeScope
from core.fees.schedule import (
    FIRST_DUE_DAY,
    LAST_DUE_DAY,
    MAX_NAME,
    resolve_buildings,
    resolve_units,
)
from core.models import Community
from handlers.fees.staff_views import ChoiceCb, choice_buttons, confirm_keyboard
from handlers.fees.texts import error_text, every_names, kind_names, money_of
from handlers.kit import admin_router, group_command, read_text

router = admin_router("fees.fee_add")

group_command("fee_add", __("Add a fee item (manager)"), order=41)


class FeeAdd(StatesGroup):
    name = State()
    kind = State()
    amount = State()
    scope = State()
    targets = State()
    due_day = State()
    late_fee = State()
    period = State()
    confirm = State()


@router.message(Command("fee_add"), StateFilter("*"), flags={"staff": "fees.item_add"})
async def fee_add_start(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(FeeAdd.name)
    await message.reply(
        _("New fee item. What is it called? (e.g. 物业费). Send /cancel to stop."),
        reply_markup=ForceReply(selective=True),
    )


@router.message(FeeAdd.name, F.text, ~F.text.startswith("/"))
async def fee_add_name(message: Message, state: FSMContext) -> None:
    name = await read_text(message, max_len=MAX_NAME)
    if name is None:
        return
    await state.update_data(name=name)
    await state.set_state(FeeAdd.kind)
    await message.reply(
        _("How is {name} charged?").format(name=name),
        reply_markup=choice_buttons("kind", list(kind_names().items())),
    )


@router.callback_query(ChoiceCb.filter(F.step == "kind"), FeeAdd.kind)
async def fee_add_kind(query: CallbackQuery, callback_data: ChoiceCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in kind_names():
        return
    await state.update_data(kind=callback_data.value)
    await state.set_state(FeeAdd.amount)
    prompt = {
        FeeKind.PER_M2.value: _("Rate per m² per month? (e.g. 1.85)"),
        FeeKind.FIXED.value: _("Amount per unit per month? (e.g. 30)"),
        FeeKind.PARKING.value: _("Amount per parking space per month? (e.g. 150)"),
    }[callback_data.value]
    if isinstance(query.message, Message):
        await query.message.reply(prompt, reply_markup=ForceReply(selective=True))


@router.message(FeeAdd.amount, F.text, ~F.text.startswith("/"))
async def fee_add_amount(message: Message, state: FSMContext) -> None:
    amount = await _positive_amount(message, _("Please send a positive amount, e.g. 1.85."))
    if amount is None:
        return
    await state.update_data(amount=amount)
    await state.set_state(FeeAdd.scope)
    await message.reply(
        _("Which units does it apply to?"),
        reply_markup=choice_buttons(
            "scope",
            [
                (FeeScope.ALL.value, _("All units")),
                (FeeScope.BUILDINGS.value, _("Some buildings")),
                (FeeScope.UNITS.value, _("Listed units (e.g. parking)")),
            ],
        ),
    )


@router.callback_query(ChoiceCb.filter(F.step == "scope"), FeeAdd.scope)
async def fee_add_scope(query: CallbackQuery, callback_data: ChoiceCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in {s.value for s in FeeScope}:
        return
    await state.update_data(scope=callback_data.value, targets=[])
    if not isinstance(query.message, Message):
        return
    if callback_data.value == FeeScope.ALL.value:
        await _ask_due_day(query.message, state)
        return
    await state.set_state(FeeAdd.targets)
    text = (
        _("Which buildings? Separate them with commas, e.g. 1栋, 2栋")
        if callback_data.value == FeeScope.BUILDINGS.value
        else _("Which units? e.g. 1栋-301, 2栋-502×2 (×2 = two parking spaces)")
    )
    await query.message.reply(text, reply_markup=ForceReply(selective=True))


@router.message(FeeAdd.targets, F.text, ~F.text.startswith("/"))
async def fee_add_targets(
    message: Message, state: FSMContext, session: AsyncSession, community: Community
) -> None:
    data = await state.get_data()
    try:
        if data.get("scope") == FeeScope.BUILDINGS.value:
            targets = await resolve_buildings(session, community.id, message.text or "")
        else:
            targets = await resolve_units(session, community.id, message.text or "")
    except FeeError as exc:
        await message.reply(error_text(exc) + "\n" + _("Please send the list again."))
        return
    await state.update_data(
        targets=[[t.building_id, t.unit_id, t.quantity] for t in targets],
        target_text=(message.text or "").strip()[:200],
    )
    await _ask_due_day(message, state)


async def _ask_due_day(message: Message, state: FSMContext) -> None:
    await state.set_state(FeeAdd.due_day)
    await message.reply(
        _("Due on which day of the month? (1–28)"), reply_markup=ForceReply(selective=True)
    )


@router.message(FeeAdd.due_day, F.text, ~F.text.startswith("/"))
async def fee_add_due_day(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not FIRST_DUE_DAY <= int(text) <= LAST_DUE_DAY:
        await message.reply(_("Please send a day between 1 and 28."))
        return
    await state.update_data(due_day=int(text))
    await state.set_state(FeeAdd.late_fee)
    await message.reply(
        _("Late fee charged once on an overdue bill? Send an amount, or choose:"),
        reply_markup=choice_buttons("late", [("none", _("No late fee"))]),
    )


@router.callback_query(ChoiceCb.filter(F.step == "late"), FeeAdd.late_fee)
async def fee_add_no_late_fee(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(late_fee=None)
    await _ask_period(query.message, state)


@router.message(FeeAdd.late_fee, F.text, ~F.text.startswith("/"))
async def fee_add_late_fee(message: Message, state: FSMContext) -> None:
    amount = await _positive_amount(
        message, _("Please send a positive amount, or press “No late fee”.")
    )
    if amount is None:
        return
    await state.update_data(late_fee=amount)
    await _ask_period(message, state)


async def _positive_amount(message: Message, re_ask: str) -> int | None:
    """The positive amount the message says, or None after ``re_ask``."""
    try:
        amount = parse_money(message.text or "")
    except FeeError:
        amount = 0
    if amount <= 0:
        await message.reply(re_ask)
        return None
    return amount


async def _ask_period(message: object, state: FSMContext) -> None:
    await state.set_state(FeeAdd.period)
    if isinstance(message, Message):
        await message.reply(
            _("How often is it billed?"),
            reply_markup=choice_buttons("every", [(str(k), v) for k, v in every_names().items()]),
        )


@router.callback_query(ChoiceCb.filter(F.step == "every"), FeeAdd.period)
async def fee_add_period(
    query: CallbackQuery, callback_data: ChoiceCb, state: FSMContext, community: Community
) -> None:
    await query.answer()
    if not callback_data.value.isdigit() or int(callback_data.value) not in every_names():
        return
    await state.update_data(every=int(callback_data.value))
    await state.set_state(FeeAdd.confirm)
    data = await state.get_data()
    money = money_of(community)
    scope = {FeeScope.ALL.value: _("all units")}.get(data["scope"], data.get("target_text", ""))
    late = money(data["late_fee"]) if data.get("late_fee") else _("none")
    summary = _(
        "Add this fee item?\n<b>{name}</b>: {amount} {kind}, {every}, due on day {day}, "
        "late fee {late}\nApplies to: {scope}"
    ).format(
        name=data["name"],
        amount=money(data["amount"]),
        kind=kind_names()[data["kind"]],
        every=every_names()[data["every"]],
        day=data["due_day"],
        late=late,
        scope=scope,
    )
    if isinstance(query.message, Message):
        await query.message.reply(summary, reply_markup=confirm_keyboard())


@router.message(FeeAdd.kind, ~F.text.startswith("/"))
@router.message(FeeAdd.scope, ~F.text.startswith("/"))
@router.message(FeeAdd.period, ~F.text.startswith("/"))
@router.message(FeeAdd.confirm, ~F.text.startswith("/"))
async def fee_add_press_a_button(message: Message) -> None:
    await message.reply(_("Please choose one of the buttons above, or send /cancel."))


@router.message(FeeAdd.name, ~F.text.startswith("/"))
@router.message(FeeAdd.amount, ~F.text.startswith("/"))
@router.message(FeeAdd.targets, ~F.text.startswith("/"))
@router.message(FeeAdd.due_day, ~F.text.startswith("/"))
@router.message(FeeAdd.late_fee, ~F.text.startswith("/"))
async def fee_add_need_text(message: Message) -> None:
    await message.reply(_("Please answer with text, or send /cancel."))
