"""Fees in the admin group: the schedule, offline payments, refunds, adjustments,
expenses, reports and the CSV export.

Money-changing commands are parsed, shown back in full and carried out only
when the same staff member presses Confirm; the write is one transaction with
its audit entry (who, and why). Managers and accountants may use them all;
generating bills and changing the schedule is for managers.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import group_command
from bot.context import AppContext
from core.fees.accounts import (
    allowed_categories,
    category_labels,
    record_expense,
    reverse_expense,
)
from core.fees.billing import generate_bills
from core.fees.common import FeeError, Period, local_today, parse_money
from core.fees.ledger import adjust_bill, payment_refundable, record_offline_payment, refund_payment
from core.fees.models import (
    Bill,
    BillStatus,
    Direction,
    FeeKind,
    FeeOutbox,
    FeeScope,
    Fund,
    Payment,
    PaymentMethod,
)
from core.fees.payments import enqueue_offline_receipts
from core.fees.reports import collection_by_building, export_csv, overdue_units
from core.fees.schedule import (
    Target,
    add_fee_item,
    list_fee_items,
    resolve_buildings,
    resolve_units,
    retire_fee_item,
    target_labels,
)
from core.formatting import fmt_date, fmt_money
from core.identity import Identity
from core.models import Community, StaffRole
from core.units import find_unit_by_label
from handlers.fees_jobs import kick_outbox, translations
from handlers.staff import AdminGroup, ensure_staff

router = Router(name="fees_staff")

MONEY_ROLES = (StaffRole.MANAGER, StaffRole.ACCOUNTANT)
MANAGER = (StaffRole.MANAGER,)

group_command("fees", __("Fee schedule and fee commands"), order=40)
group_command("fee_add", __("Add a fee item (manager)"), order=41)
group_command("pay_cash", __("Record a cash payment: UNIT AMOUNT NOTE"), order=42)
group_command("pay_bank", __("Record a bank transfer: UNIT AMOUNT REFERENCE"), order=43)
group_command("refund", __("Record a refund: PAYMENT AMOUNT REASON"), order=44)
group_command("adjust", __("Adjust a bill: UNIT PERIOD ±AMOUNT REASON"), order=45)
group_command("expense", __("Record an expense: CATEGORY AMOUNT DESCRIPTION"), order=46)
group_command("report", __("Collection rate by building: [PERIOD] [PERIOD]"), order=47)
group_command("overdue", __("Units with overdue bills"), order=48)
group_command("export", __("Bills and payments as CSV: [PERIOD] [PERIOD]"), order=49)


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


class Pending(StatesGroup):
    confirm = State()


class ChoiceCb(CallbackData, prefix="fst"):
    step: str
    value: str


class ConfirmCb(CallbackData, prefix="fcf"):
    yes: bool


def _error_text(exc: FeeError, currency: str = "CNY") -> str:
    d = exc.details
    texts = {
        "bad_amount": _("That is not an amount of money (e.g. 1,234.50)."),
        "bad_period": _("That is not a period; write it as YYYY-MM, e.g. 2026-11."),
        "nothing_due": _("Nothing is due on this unit."),
        "more_than_due": _("That is more than is due ({amount}).").format(
            amount=fmt_money(int(d.get("due_minor", 0)), currency, None)
        ),
        "more_than_refundable": _("At most {amount} of this payment can be refunded.").format(
            amount=fmt_money(int(d.get("refundable_minor", 0)), currency, None)
        ),
        "no_such_payment": _("There is no payment #{id} in this community.").format(
            id=d.get("payment_id", "?")
        ),
        "no_such_bill": _("There is no such bill."),
        "below_zero": _("A bill cannot go below zero."),
        "refund_instead": _("This bill is already paid: record a refund instead of lowering it."),
        "reason_required": _("Please give a reason: it goes into the audit log."),
        "bad_category": _("Unknown category. Send the command alone to see the categories."),
        "unknown_units": _("Unknown units: {names}. Write them like 1栋-301.").format(
            names=", ".join(d.get("names", []))
        ),
        "unknown_buildings": _("Unknown buildings: {names}.").format(
            names=", ".join(d.get("names", []))
        ),
        "no_targets": _("Please name at least one."),
        "bad_quantity": _("A unit can have 1–99 parking spaces."),
        "no_such_item": _("There is no fee item #{id}.").format(id=d.get("item_id", "?")),
        "item_retired": _("Fee item #{id} is already retired.").format(id=d.get("item_id", "?")),
        "no_such_expense": _("There is no expense #{id}.").format(id=d.get("expense_id", "?")),
        "already_reversed": _("Expense #{id} was already reversed.").format(
            id=d.get("expense_id", "?")
        ),
        "bad_name": _("The name must be 1–80 characters."),
    }
    return texts.get(exc.code, _("That did not work ({code}).").format(code=exc.code))


def _loc() -> str:
    """The locale of this update (the staff member's language)."""
    return get_i18n().current_locale


def _kind_names() -> dict[str, str]:
    return {
        FeeKind.PER_M2.value: _("per m² per month"),
        FeeKind.FIXED.value: _("fixed per month"),
        FeeKind.PARKING.value: _("per parking space per month"),
    }


def _every_names() -> dict[int, str]:
    return {1: _("monthly"), 3: _("quarterly"), 6: _("half-yearly"), 12: _("yearly")}


def _buttons(step: str, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=ChoiceCb(step=step, value=v).pack())]
            for v, label in options
        ]
    )


def _confirm_keyboard() -> InlineKeyboardMarkup:
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


def _actor(identity: Identity) -> dict[str, Any]:
    return {"actor_person_id": identity.person_id, "actor_telegram_id": identity.telegram_id}


# --- the schedule ------------------------------------------------------------------------


@router.message(Command("fees"), AdminGroup(), StateFilter("*"))
async def fees_list(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(message, app, identity, community, *MONEY_ROLES, action="fees.list"):
        return
    items = await list_fee_items(session, community.id)
    kinds = _kind_names()
    every = _every_names()
    lines = [_("<b>Fee schedule of {community}</b>").format(community=community.name)]
    if not items:
        lines.append(_("No fee items yet. Add one with /fee_add."))
    for item in items:
        scope = _("all units")
        if item.scope != FeeScope.ALL:
            scope = ", ".join(await target_labels(session, item))
        late = (
            _(", late fee {amount}").format(
                amount=fmt_money(item.late_fee_minor, community.currency, _loc())
            )
            if item.late_fee_minor
            else ""
        )
        lines.append(
            _("#{id} {name}: {amount} {kind}, {every}, due on day {day}{late} — {scope}").format(
                id=item.id,
                name=item.name,
                amount=fmt_money(item.amount_minor, community.currency, _loc()),
                kind=kinds[item.kind.value],
                every=every.get(item.period_months, str(item.period_months)),
                day=item.due_day,
                late=late,
                scope=scope,
            )
        )
    lines.append("")
    lines.append(
        _(
            "/fee_add — add an item · /fee_retire ID — stop charging an item\n"
            "/bills_generate YYYY-MM — generate a period's bills\n"
            "/pay_cash, /pay_bank UNIT AMOUNT NOTE — offline payments\n"
            "/refund PAYMENT AMOUNT REASON · /adjust UNIT PERIOD ±AMOUNT REASON\n"
            "/expense, /fund_in, /fund_out CATEGORY AMOUNT DESCRIPTION (a photo caption "
            "attaches the receipt) · /expense_reverse ID REASON\n"
            "/report · /overdue · /export"
        )
    )
    await message.reply("\n".join(lines))


@router.message(Command("fee_retire"), AdminGroup(), StateFilter("*"))
async def fee_retire(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(message, app, identity, community, *MANAGER, action="fees.retire"):
        return
    arg = (command.args or "").strip().lstrip("#")
    if not arg.isdigit():
        await message.reply(_("Usage: /fee_retire ID (see /fees for the ids)."))
        return
    try:
        item = await retire_fee_item(session, community, int(arg), **_actor(identity))
    except FeeError as exc:
        await message.reply(_error_text(exc))
        return
    await message.reply(
        _("Fee item #{id} {name} is retired: it is not charged on new bills.").format(
            id=item.id, name=item.name
        )
    )


@router.message(Command("fee_add"), AdminGroup(), StateFilter("*"))
async def fee_add_start(
    message: Message,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(message, app, identity, community, *MANAGER, action="fees.item_add"):
        return
    await state.clear()
    await state.set_state(FeeAdd.name)
    await message.reply(
        _("New fee item. What is it called? (e.g. 物业费). Send /cancel to stop."),
        reply_markup=ForceReply(selective=True),
    )


@router.message(Command("cancel"), AdminGroup(), StateFilter(FeeAdd, Pending))
async def group_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.reply(_("Cancelled. Nothing was saved."))


@router.message(FeeAdd.name, AdminGroup(), F.text, ~F.text.startswith("/"))
async def fee_add_name(message: Message, state: FSMContext) -> None:
    name = (message.text or "").strip()
    if not 1 <= len(name) <= 80:
        await message.reply(_("The name must be 1–80 characters. What is it called?"))
        return
    await state.update_data(name=name)
    await state.set_state(FeeAdd.kind)
    await message.reply(
        _("How is {name} charged?").format(name=name),
        reply_markup=_buttons("kind", list(_kind_names().items())),
    )


@router.callback_query(ChoiceCb.filter(F.step == "kind"), FeeAdd.kind, AdminGroup())
async def fee_add_kind(query: CallbackQuery, callback_data: ChoiceCb, state: FSMContext) -> None:
    if callback_data.value not in _kind_names():
        await query.answer()
        return
    await query.answer()
    await state.update_data(kind=callback_data.value)
    await state.set_state(FeeAdd.amount)
    prompt = {
        FeeKind.PER_M2.value: _("Rate per m² per month? (e.g. 1.85)"),
        FeeKind.FIXED.value: _("Amount per unit per month? (e.g. 30)"),
        FeeKind.PARKING.value: _("Amount per parking space per month? (e.g. 150)"),
    }[callback_data.value]
    if isinstance(query.message, Message):
        await query.message.reply(prompt, reply_markup=ForceReply(selective=True))


@router.message(FeeAdd.amount, AdminGroup(), F.text, ~F.text.startswith("/"))
async def fee_add_amount(message: Message, state: FSMContext) -> None:
    try:
        amount = parse_money(message.text or "")
    except FeeError:
        amount = 0
    if amount <= 0:
        await message.reply(_("Please send a positive amount, e.g. 1.85."))
        return
    await state.update_data(amount=amount)
    await state.set_state(FeeAdd.scope)
    await message.reply(
        _("Which units does it apply to?"),
        reply_markup=_buttons(
            "scope",
            [
                (FeeScope.ALL.value, _("All units")),
                (FeeScope.BUILDINGS.value, _("Some buildings")),
                (FeeScope.UNITS.value, _("Listed units (e.g. parking)")),
            ],
        ),
    )


@router.callback_query(ChoiceCb.filter(F.step == "scope"), FeeAdd.scope, AdminGroup())
async def fee_add_scope(query: CallbackQuery, callback_data: ChoiceCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in {s.value for s in FeeScope}:
        return
    await state.update_data(scope=callback_data.value, targets=[])
    if not isinstance(query.message, Message):
        return
    if callback_data.value == FeeScope.ALL.value:
        await state.set_state(FeeAdd.due_day)
        await query.message.reply(
            _("Due on which day of the month? (1–28)"), reply_markup=ForceReply(selective=True)
        )
        return
    await state.set_state(FeeAdd.targets)
    text = (
        _("Which buildings? Separate them with commas, e.g. 1栋, 2栋")
        if callback_data.value == FeeScope.BUILDINGS.value
        else _("Which units? e.g. 1栋-301, 2栋-502×2 (×2 = two parking spaces)")
    )
    await query.message.reply(text, reply_markup=ForceReply(selective=True))


@router.message(FeeAdd.targets, AdminGroup(), F.text, ~F.text.startswith("/"))
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
        await message.reply(_error_text(exc) + "\n" + _("Please send the list again."))
        return
    await state.update_data(
        targets=[[t.building_id, t.unit_id, t.quantity] for t in targets],
        target_text=(message.text or "").strip()[:200],
    )
    await state.set_state(FeeAdd.due_day)
    await message.reply(
        _("Due on which day of the month? (1–28)"), reply_markup=ForceReply(selective=True)
    )


@router.message(FeeAdd.due_day, AdminGroup(), F.text, ~F.text.startswith("/"))
async def fee_add_due_day(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 28:
        await message.reply(_("Please send a day between 1 and 28."))
        return
    await state.update_data(due_day=int(text))
    await state.set_state(FeeAdd.late_fee)
    await message.reply(
        _("Late fee charged once on an overdue bill? Send an amount, or choose:"),
        reply_markup=_buttons("late", [("none", _("No late fee"))]),
    )


@router.callback_query(ChoiceCb.filter(F.step == "late"), FeeAdd.late_fee, AdminGroup())
async def fee_add_no_late_fee(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(late_fee=None)
    await _ask_period(query.message, state)


@router.message(FeeAdd.late_fee, AdminGroup(), F.text, ~F.text.startswith("/"))
async def fee_add_late_fee(message: Message, state: FSMContext) -> None:
    try:
        amount = parse_money(message.text or "")
    except FeeError:
        amount = 0
    if amount <= 0:
        await message.reply(_("Please send a positive amount, or press “No late fee”."))
        return
    await state.update_data(late_fee=amount)
    await _ask_period(message, state)


async def _ask_period(message: object, state: FSMContext) -> None:
    await state.set_state(FeeAdd.period)
    if isinstance(message, Message):
        await message.reply(
            _("How often is it billed?"),
            reply_markup=_buttons("every", [(str(k), v) for k, v in _every_names().items()]),
        )


@router.callback_query(ChoiceCb.filter(F.step == "every"), FeeAdd.period, AdminGroup())
async def fee_add_period(
    query: CallbackQuery, callback_data: ChoiceCb, state: FSMContext, community: Community
) -> None:
    await query.answer()
    if not callback_data.value.isdigit() or int(callback_data.value) not in _every_names():
        return
    await state.update_data(every=int(callback_data.value))
    await state.set_state(FeeAdd.confirm)
    data = await state.get_data()
    scope = {
        FeeScope.ALL.value: _("all units"),
    }.get(data["scope"], data.get("target_text", ""))
    late = (
        fmt_money(int(data["late_fee"]), community.currency, _loc())
        if data.get("late_fee")
        else _("none")
    )
    summary = _(
        "Add this fee item?\n<b>{name}</b>: {amount} {kind}, {every}, due on day {day}, "
        "late fee {late}\nApplies to: {scope}"
    ).format(
        name=data["name"],
        amount=fmt_money(int(data["amount"]), community.currency, _loc()),
        kind=_kind_names()[data["kind"]],
        every=_every_names()[data["every"]],
        day=data["due_day"],
        late=late,
        scope=scope,
    )
    if isinstance(query.message, Message):
        await query.message.reply(summary, reply_markup=_confirm_keyboard())


@router.message(FeeAdd.kind, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.scope, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.period, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.confirm, AdminGroup(), ~F.text.startswith("/"))
@router.message(Pending.confirm, AdminGroup(), ~F.text.startswith("/"))
async def fee_add_press_a_button(message: Message) -> None:
    await message.reply(_("Please choose one of the buttons above, or send /cancel."))


@router.message(FeeAdd.name, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.amount, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.targets, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.due_day, AdminGroup(), ~F.text.startswith("/"))
@router.message(FeeAdd.late_fee, AdminGroup(), ~F.text.startswith("/"))
async def fee_add_need_text(message: Message) -> None:
    await message.reply(_("Please answer with text, or send /cancel."))


# --- confirming money-changing actions ---------------------------------------------------------


@router.callback_query(
    ConfirmCb.filter(), StateFilter(FeeAdd.confirm, Pending.confirm), AdminGroup()
)
async def confirm(
    query: CallbackQuery,
    callback_data: ConfirmCb,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    await state.clear()
    message = query.message if isinstance(query.message, Message) else None
    if not callback_data.yes:
        await query.answer(_("Cancelled."))
        if message is not None:
            await message.edit_text(_("Cancelled. Nothing was saved."))
        return
    action = "fees.item_add" if current == FeeAdd.confirm.state else str(data.get("action"))
    roles = MANAGER if action == "fees.item_add" else MONEY_ROLES
    if not await ensure_staff(query, app, identity, community, *roles, action=action):
        return
    try:
        text = await _carry_out(action, data, session, app, identity, community)
    except FeeError as exc:
        await session.rollback()
        await query.answer()
        if message is not None:
            await message.edit_text(_error_text(exc, community.currency))
        return
    await session.commit()
    await query.answer(_("Done."))
    if message is not None:
        await message.edit_text(text)
    ids = data.get("_outbox_ids") or []
    if ids:
        kick_outbox(app, ids)


async def _carry_out(
    action: str,
    data: dict[str, Any],
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> str:
    now = app.clock.now()
    money = lambda m: fmt_money(int(m), community.currency, _loc())  # noqa: E731
    if action == "fees.item_add":
        item = await add_fee_item(
            session,
            community,
            name=data["name"],
            kind=FeeKind(data["kind"]),
            amount_minor=int(data["amount"]),
            scope=FeeScope(data["scope"]),
            targets=[Target(b, u, q) for b, u, q in data.get("targets") or []],
            period_months=int(data["every"]),
            due_day=int(data["due_day"]),
            late_fee_minor=int(data["late_fee"]) if data.get("late_fee") else None,
            **_actor(identity),
        )
        return _("Fee item #{id} {name} added. It is charged from the next bills.").format(
            id=item.id, name=item.name
        )
    if action == "fees.payment_offline":
        result = await record_offline_payment(
            session,
            community,
            unit_id=int(data["unit_id"]),
            method=PaymentMethod(data["method"]),
            amount_minor=int(data["amount"]),
            note=data["note"],
            now=now,
            **_actor(identity),
        )
        await enqueue_offline_receipts(
            session,
            payment_id=result.payment.id,
            unit_id=int(data["unit_id"]),
            community_id=community.id,
            now=now,
        )
        data["_outbox_ids"] = list(
            (
                await session.scalars(
                    select(FeeOutbox.id).where(
                        FeeOutbox.dedupe_key.startswith(f"receipt:{result.payment.id}:")
                    )
                )
            ).all()
        )
        return _(
            "Payment #{id} recorded: {amount} for {unit} ({bills}). Receipts go to the residents."
        ).format(
            id=result.payment.id,
            amount=money(data["amount"]),
            unit=data["unit_label"],
            bills=", ".join(data.get("periods", [])),
        )
    if action == "fees.refund":
        await refund_payment(
            session,
            community,
            payment_id=int(data["payment_id"]),
            amount_minor=int(data["amount"]),
            reason=data["reason"],
            now=now,
            **_actor(identity),
        )
        return _("Refund of {amount} from payment #{id} recorded.").format(
            amount=money(data["amount"]), id=data["payment_id"]
        )
    if action == "fees.adjust":
        bill = await adjust_bill(
            session,
            community,
            bill_id=int(data["bill_id"]),
            amount_minor=int(data["amount"]),
            reason=data["reason"],
            now=now,
            **_actor(identity),
        )
        return _("Bill {unit} {period} adjusted by {amount}: now {due} due.").format(
            unit=data["unit_label"],
            period=bill.period,
            amount=money(data["amount"]),
            due=money(bill.outstanding_minor),
        )
    if action == "fees.expense":
        expense = await record_expense(
            session,
            community,
            fund=Fund(data["fund"]),
            direction=Direction(data["direction"]),
            category=data["category"],
            amount_minor=int(data["amount"]),
            description=data["description"],
            occurred_on=local_today(community, now),
            receipt_file_id=data.get("photo"),
            **_actor(identity),
        )
        return _("Entry #{id} recorded: {amount}, {description}.").format(
            id=expense.id, amount=money(data["amount"]), description=data["description"]
        )
    if action == "fees.expense_reverse":
        reversal = await reverse_expense(
            session,
            community,
            expense_id=int(data["expense_id"]),
            reason=data["reason"],
            occurred_on=local_today(community, now),
            **_actor(identity),
        )
        return _("Entry #{id} reversed by entry #{new}.").format(
            id=data["expense_id"], new=reversal.id
        )
    raise FeeError("unknown_action")


async def _ask_confirmation(
    message: Message, state: FSMContext, data: dict[str, Any], summary: str
) -> None:
    await state.clear()
    await state.set_state(Pending.confirm)
    await state.set_data(data)
    await message.reply(summary, reply_markup=_confirm_keyboard())


# --- offline payments, refunds, adjustments --------------------------------------------------


@router.message(Command("pay_cash", "pay_bank"), AdminGroup(), StateFilter("*"))
async def pay_offline(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.payment_offline"
    ):
        return
    method = PaymentMethod.CASH if command.command == "pay_cash" else PaymentMethod.BANK_TRANSFER
    parts = (command.args or "").split(maxsplit=2)
    usage = (
        _("Usage: /pay_cash UNIT AMOUNT NOTE, e.g. /pay_cash 1栋-1201 465.58 paid at the office")
        if method == PaymentMethod.CASH
        else _(
            "Usage: /pay_bank UNIT AMOUNT REFERENCE, e.g. /pay_bank 1栋-1201 465.58 ref 2026110512"
        )
    )
    if len(parts) < 3:
        await message.reply(usage)
        return
    unit = await find_unit_by_label(session, community.id, parts[0])
    if unit is None:
        await message.reply(_("Unknown unit {unit}. Write it like 1栋-301.").format(unit=parts[0]))
        return
    try:
        amount = parse_money(parts[1])
    except FeeError as exc:
        await message.reply(_error_text(exc) + "\n" + usage)
        return
    bills = (
        await session.scalars(
            select(Bill)
            .where(Bill.unit_id == unit.id, Bill.status == BillStatus.OPEN)
            .order_by(Bill.period)
        )
    ).all()
    due = sum(b.outstanding_minor for b in bills)
    if due <= 0:
        await message.reply(_("Nothing is due on {unit}.").format(unit=unit.label))
        return
    if amount <= 0 or amount > due:
        await message.reply(
            _("{unit} owes {due}; the amount must be more than 0 and at most that.").format(
                unit=unit.label, due=fmt_money(due, community.currency, _loc())
            )
        )
        return
    method_name = _("cash") if method == PaymentMethod.CASH else _("bank transfer")
    summary = _(
        "Record a {method} payment of {amount} for {unit}?\nOpen bills: {periods} ({due} due)\n"
        "Note: {note}"
    ).format(
        method=method_name,
        amount=fmt_money(amount, community.currency, _loc()),
        unit=unit.label,
        periods=", ".join(b.period for b in bills),
        due=fmt_money(due, community.currency, _loc()),
        note=parts[2],
    )
    await _ask_confirmation(
        message,
        state,
        {
            "action": "fees.payment_offline",
            "unit_id": unit.id,
            "unit_label": unit.label,
            "method": method.value,
            "amount": amount,
            "note": parts[2][:500],
            "periods": [b.period for b in bills],
        },
        summary,
    )


@router.message(Command("refund"), AdminGroup(), StateFilter("*"))
async def refund(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.refund"
    ):
        return
    usage = _("Usage: /refund PAYMENT AMOUNT REASON, e.g. /refund 42 150 parking not used")
    parts = (command.args or "").split(maxsplit=2)
    if len(parts) < 3 or not parts[0].lstrip("#").isdigit():
        await message.reply(usage)
        return
    payment = await session.get(Payment, int(parts[0].lstrip("#")))
    if payment is None or payment.community_id != community.id:
        await message.reply(
            _("There is no payment #{id} in this community.").format(id=parts[0].lstrip("#"))
        )
        return
    try:
        amount = parse_money(parts[1])
    except FeeError as exc:
        await message.reply(_error_text(exc) + "\n" + usage)
        return
    refundable = await payment_refundable(session, payment)
    if amount <= 0 or amount > refundable.total_minor:
        await message.reply(
            _("At most {amount} of this payment can be refunded.").format(
                amount=fmt_money(refundable.total_minor, community.currency, _loc())
            )
        )
        return
    summary = _(
        "Record a refund of {amount} from payment #{id} ({paid} paid)?\nReason: {reason}"
    ).format(
        amount=fmt_money(amount, community.currency, _loc()),
        id=payment.id,
        paid=fmt_money(payment.amount_minor, community.currency, _loc()),
        reason=parts[2],
    )
    await _ask_confirmation(
        message,
        state,
        {"action": "fees.refund", "payment_id": payment.id, "amount": amount, "reason": parts[2]},
        summary,
    )


@router.message(Command("adjust"), AdminGroup(), StateFilter("*"))
async def adjust(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.adjust"
    ):
        return
    usage = _(
        "Usage: /adjust UNIT PERIOD ±AMOUNT REASON, e.g. /adjust 1栋-1201 2026-11 -20 "
        "water leak compensation"
    )
    parts = (command.args or "").split(maxsplit=3)
    if len(parts) < 4:
        await message.reply(usage)
        return
    unit = await find_unit_by_label(session, community.id, parts[0])
    if unit is None:
        await message.reply(_("Unknown unit {unit}. Write it like 1栋-301.").format(unit=parts[0]))
        return
    try:
        period = Period.parse(parts[1])
        amount = parse_money(parts[2], allow_negative=True)
    except FeeError as exc:
        await message.reply(_error_text(exc) + "\n" + usage)
        return
    bill = await session.scalar(
        select(Bill).where(Bill.unit_id == unit.id, Bill.period == str(period))
    )
    if bill is None:
        await message.reply(
            _("{unit} has no bill for {period}.").format(unit=unit.label, period=period)
        )
        return
    if amount == 0:
        await message.reply(usage)
        return
    summary = _(
        "Adjust the bill of {unit} for {period} by {amount} (now {due})?\nReason: {reason}"
    ).format(
        unit=unit.label,
        period=period,
        amount=fmt_money(amount, community.currency, _loc()),
        due=fmt_money(bill.amount_due_minor, community.currency, _loc()),
        reason=parts[3],
    )
    await _ask_confirmation(
        message,
        state,
        {
            "action": "fees.adjust",
            "bill_id": bill.id,
            "unit_label": unit.label,
            "amount": amount,
            "reason": parts[3],
        },
        summary,
    )


# --- expenses and the maintenance fund ----------------------------------------------------------


def _match_category(text: str, allowed: tuple[str, ...], app: AppContext) -> str | None:
    wanted = text.strip().lower()
    if wanted in allowed:
        return wanted
    for locale in ("zh_Hans", "en"):
        labels = category_labels(translations(app, locale))
        for key in allowed:
            if labels.get(key, "").lower() == wanted:
                return key
    return None


@router.message(Command("expense", "fund_in", "fund_out"), AdminGroup(), StateFilter("*"))
async def expense(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
    locale: str,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.expense"
    ):
        return
    fund, direction = {
        "expense": (Fund.OPERATING, Direction.OUT),
        "fund_in": (Fund.MAINTENANCE, Direction.IN),
        "fund_out": (Fund.MAINTENANCE, Direction.OUT),
    }[command.command]
    allowed = allowed_categories(fund, direction)
    labels = category_labels(translations(app, locale))
    parts = (command.args or "").split(maxsplit=2)
    category = _match_category(parts[0], allowed, app) if parts else None
    if len(parts) < 3 or category is None:
        listing = ", ".join(f"{k} ({labels.get(k, k)})" for k in allowed)
        await message.reply(
            _(
                "Usage: /{command} CATEGORY AMOUNT DESCRIPTION — send it as the caption of "
                "a photo to attach the receipt.\nCategories: {categories}"
            ).format(command=command.command, categories=listing)
        )
        return
    try:
        amount = parse_money(parts[1])
    except FeeError as exc:
        await message.reply(_error_text(exc))
        return
    if amount <= 0:
        await message.reply(_("Please send a positive amount, e.g. 1.85."))
        return
    photo = message.photo[-1].file_id if message.photo else None
    what = {
        "expense": _("expense"),
        "fund_in": _("maintenance fund income"),
        "fund_out": _("maintenance fund spending"),
    }[command.command]
    summary = _("Record {what}: {category}, {amount}, {description}{photo}?").format(
        what=what,
        category=labels.get(category, category),
        amount=fmt_money(amount, community.currency, _loc()),
        description=parts[2],
        photo=_(" (with receipt photo)") if photo else "",
    )
    await _ask_confirmation(
        message,
        state,
        {
            "action": "fees.expense",
            "fund": fund.value,
            "direction": direction.value,
            "category": category,
            "amount": amount,
            "description": parts[2][:500],
            "photo": photo,
        },
        summary,
    )


@router.message(Command("expense_reverse"), AdminGroup(), StateFilter("*"))
async def expense_reverse(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.expense_reverse"
    ):
        return
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) < 2 or not parts[0].lstrip("#").isdigit():
        await message.reply(_("Usage: /expense_reverse ID REASON"))
        return
    await _ask_confirmation(
        message,
        state,
        {
            "action": "fees.expense_reverse",
            "expense_id": int(parts[0].lstrip("#")),
            "reason": parts[1],
        },
        _("Reverse entry #{id}?\nReason: {reason}").format(
            id=parts[0].lstrip("#"), reason=parts[1]
        ),
    )


# --- bills, reports, export -----------------------------------------------------------------------


def _periods(args: str | None, community: Community, app: AppContext) -> tuple[Period, Period]:
    parts = (args or "").split()
    if not parts:
        current = Period.of(local_today(community, app.clock.now()))
        return current, current
    first = Period.parse(parts[0])
    last = Period.parse(parts[1]) if len(parts) > 1 else first
    if last < first:
        first, last = last, first
    return first, last


@router.message(Command("bills_generate"), AdminGroup(), StateFilter("*"))
async def bills_generate(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MANAGER, action="fees.bills_generate"
    ):
        return
    try:
        period, _last = _periods(command.args, community, app)
    except FeeError as exc:
        await message.reply(_error_text(exc))
        return
    result = await generate_bills(
        session, community, period, now=app.clock.now(), trigger="staff", **_actor(identity)
    )
    await message.reply(
        _(
            "Bills for {period}: {created} created, {existing} already existed, "
            "{none} units without fees."
        ).format(
            period=period,
            created=result.created,
            existing=result.existing,
            none=result.without_fees,
        )
    )


@router.message(Command("report"), AdminGroup(), StateFilter("*"))
async def report(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.report"
    ):
        return
    try:
        first, last = _periods(command.args, community, app)
    except FeeError as exc:
        await message.reply(_error_text(exc))
        return
    rows = await collection_by_building(session, community.id, first, last)
    money = lambda m: fmt_money(m, community.currency, _loc())  # noqa: E731
    lines = [_("<b>Collection rate, {first} – {last}</b>").format(first=first, last=last)]
    if not rows:
        lines.append(_("No bills in these periods."))
    for r in rows:
        lines.append(
            _(
                "{period} {building}: {rate} — {collected} of {due}, {paid}/{bills} bills paid"
            ).format(
                period=r.period,
                building=r.building,
                rate=f"{r.rate * 100:.1f}%",
                collected=money(r.collected_minor),
                due=money(r.due_minor),
                paid=r.paid,
                bills=r.bills,
            )
        )
    if rows:
        due = sum(r.due_minor for r in rows)
        collected = sum(r.collected_minor for r in rows)
        lines.append(
            _("<b>Total: {rate} — {collected} of {due}</b>").format(
                rate=f"{(collected / due * 100 if due else 0):.1f}%",
                collected=money(collected),
                due=money(due),
            )
        )
    await message.reply("\n".join(lines))


@router.message(Command("overdue"), AdminGroup(), StateFilter("*"))
async def overdue(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
    locale: str,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.overdue"
    ):
        return
    today = local_today(community, app.clock.now())
    units = await overdue_units(session, community.id, today, limit=60)
    if not units:
        await message.reply(_("No unit has an overdue bill. 🎉"))
        return
    lines = [_("<b>Overdue units ({count})</b>").format(count=len(units))]
    for u in units:
        reach = "" if u.reached or u.reminders == 0 else _(" ⚠️ reminders not delivered")
        lines.append(
            _("{unit}: {amount} ({periods}), {days} days overdue since {date}{reach}").format(
                unit=u.label,
                amount=fmt_money(u.outstanding_minor, community.currency, _loc()),
                periods=", ".join(u.periods),
                days=u.days_overdue,
                date=fmt_date(u.oldest_due, locale),
                reach=reach,
            )
        )
    lines.append(_("Full list: /export"))
    await message.reply("\n".join(lines))


@router.message(Command("export"), AdminGroup(), StateFilter("*"))
async def export(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, *MONEY_ROLES, action="fees.export"
    ):
        return
    try:
        first, last = _periods(command.args, community, app)
    except FeeError as exc:
        await message.reply(_error_text(exc))
        return
    if first == last and not command.args:
        first = first.shift(-11)  # the last twelve months by default
    data = await export_csv(session, community.id, first, last)
    await message.reply_document(
        BufferedInputFile(data, filename=f"bills-{first}-{last}.csv"),
        caption=_("Bills and payments, {first} – {last}.").format(first=first, last=last),
    )
