"""Offline payments, refunds and bill adjustments in the admin group.

Steps (each command):
1. /pay_cash or /pay_bank UNIT AMOUNT NOTE, /refund PAYMENT AMOUNT REASON,
   /adjust UNIT PERIOD ±AMOUNT REASON — parsed and checked against the ledger
   (what is due, what can still be refunded, which bill);
2. shown back in full with Confirm / Cancel (handlers.fees.confirm carries it out).
Managers and accountants.
"""

from __future__ import annotations

from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees import staff_actions
from core.fees.billing import open_bills_of_unit
from core.fees.common import FeeError, Period, parse_money
from core.fees.ledger import payment_refundable
from core.fees.models import PaymentMethod
from core.fees.staff_actions import bill_of_period, payment_of_community
from core.fees.staff_input import parse_id
from core.models import Community, Unit
from core.units import find_unit_by_label
from handlers.fees.staff_views import ask_confirmation
from handlers.fees.texts import error_text, money_of
from handlers.kit import admin_router, group_command

router = admin_router("fees.money")

group_command("pay_cash", __("Record a cash payment: UNIT AMOUNT NOTE"), order=42)
group_command("pay_bank", __("Record a bank transfer: UNIT AMOUNT REFERENCE"), order=43)
group_command("refund", __("Record a refund: PAYMENT AMOUNT REASON"), order=44)
group_command("adjust", __("Adjust a bill: UNIT PERIOD ±AMOUNT REASON"), order=45)


async def _named_unit(
    message: Message, session: AsyncSession, community: Community, label: str
) -> Unit | None:
    """The unit staff wrote (``1栋-301``), or None after saying it is unknown."""
    unit = await find_unit_by_label(session, community.id, label)
    if unit is None:
        await message.reply(_("Unknown unit {unit}. Write it like 1栋-301.").format(unit=label))
    return unit


@router.message(
    Command("pay_cash", "pay_bank"), StateFilter("*"), flags={"staff": "fees.payment_offline"}
)
async def pay_offline(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
) -> None:
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
    unit = await _named_unit(message, session, community, parts[0])
    if unit is None:
        return
    try:
        amount = parse_money(parts[1])
    except FeeError as exc:
        await message.reply(error_text(exc) + "\n" + usage)
        return
    bills = await open_bills_of_unit(session, unit.id)
    due = sum(b.outstanding_minor for b in bills)
    money = money_of(community)
    if due <= 0:
        await message.reply(_("Nothing is due on {unit}.").format(unit=unit.label))
        return
    if amount <= 0 or amount > due:
        await message.reply(
            _("{unit} owes {due}; the amount must be more than 0 and at most that.").format(
                unit=unit.label, due=money(due)
            )
        )
        return
    method_name = _("cash") if method == PaymentMethod.CASH else _("bank transfer")
    summary = _(
        "Record a {method} payment of {amount} for {unit}?\nOpen bills: {periods} ({due} due)\n"
        "Note: {note}"
    ).format(
        method=method_name,
        amount=money(amount),
        unit=unit.label,
        periods=", ".join(b.period for b in bills),
        due=money(due),
        note=parts[2],
    )
    await ask_confirmation(
        message,
        state,
        {
            "action": staff_actions.PAYMENT_OFFLINE,
            "unit_id": unit.id,
            "unit_label": unit.label,
            "method": method.value,
            "amount": amount,
            "note": parts[2][:500],
            "periods": [b.period for b in bills],
        },
        summary,
    )


@router.message(Command("refund"), StateFilter("*"), flags={"staff": "fees.refund"})
async def refund(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
) -> None:
    usage = _("Usage: /refund PAYMENT AMOUNT REASON, e.g. /refund 42 150 parking not used")
    parts = (command.args or "").split(maxsplit=2)
    payment_id = parse_id(parts[0]) if parts else None
    if len(parts) < 3 or payment_id is None:
        await message.reply(usage)
        return
    payment = await payment_of_community(session, community.id, payment_id)
    if payment is None:
        await message.reply(
            _("There is no payment #{id} in this community.").format(id=parts[0].lstrip("#"))
        )
        return
    try:
        amount = parse_money(parts[1])
    except FeeError as exc:
        await message.reply(error_text(exc) + "\n" + usage)
        return
    refundable = await payment_refundable(session, payment)
    money = money_of(community)
    if amount <= 0 or amount > refundable.total_minor:
        await message.reply(
            _("At most {amount} of this payment can be refunded.").format(
                amount=money(refundable.total_minor)
            )
        )
        return
    summary = _(
        "Record a refund of {amount} from payment #{id} ({paid} paid)?\nReason: {reason}"
    ).format(amount=money(amount), id=payment.id, paid=money(payment.amount_minor), reason=parts[2])
    await ask_confirmation(
        message,
        state,
        {
            "action": staff_actions.REFUND,
            "payment_id": payment.id,
            "amount": amount,
            "reason": parts[2],
        },
        summary,
    )


@router.message(Command("adjust"), StateFilter("*"), flags={"staff": "fees.adjust"})
async def adjust(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
) -> None:
    usage = _(
        "Usage: /adjust UNIT PERIOD ±AMOUNT REASON, e.g. /adjust 1栋-1201 2026-11 -20 "
        "water leak compensation"
    )
    parts = (command.args or "").split(maxsplit=3)
    if len(parts) < 4:
        await message.reply(usage)
        return
    unit = await _named_unit(message, session, community, parts[0])
    if unit is None:
        return
    try:
        period = Period.parse(parts[1])
        amount = parse_money(parts[2], allow_negative=True)
    except FeeError as exc:
        await message.reply(error_text(exc) + "\n" + usage)
        return
    bill = await bill_of_period(session, unit.id, period)
    if bill is None:
        await message.reply(
            _("{unit} has no bill for {period}.").format(unit=unit.label, period=period)
        )
        return
    if amount == 0:
        await message.reply(usage)
        return
    money = money_of(community)
    summary = _(
        "Adjust the bill of {unit} for {period} by {amount} (now {due})?\nReason: {reason}"
    ).format(
        unit=unit.label,
        period=period,
        amount=money(amount),
        due=money(bill.amount_due_minor),
        reason=parts[3],
    )
    await ask_confirmation(
        message,
        state,
        {
            "action": staff_actions.ADJUST,
            "bill_id": bill.id,
            "unit_label": unit.label,
            "amount": amount,
            "reason": parts[3],
        },
        summary,
    )
