"""My bills: what each of the resident's homes owes, and paying it in chat.

Steps:
1. /bills or the "My bills" menu button — the recent bills of every home with
   their status, what is due now, and a Pay button per open bill (plus one for
   everything due on a home) when paying in chat is on;
2. Pay — an invoice for that bill (or everything due) is created and sent with
   ``sendInvoice``; Telegram takes it from there (handlers.fees.checkout).
"""

from __future__ import annotations

from datetime import date

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.fees.billing import bills_of_units
from core.fees.common import FeeError, local_today
from core.fees.models import Bill, BillStatus
from core.fees.my_fees import communities_by_id, community_of
from core.fees.payments import create_invoice
from core.fees.tenure import periods_since, their_bills
from core.formatting import fmt_date, fmt_money
from core.identity import Identity
from handlers.fees.invoices import payments_enabled, send_fee_invoice
from handlers.kit import (
    commit_before_send,
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    residents,
)

router = private_router("fees.bills")

menu_entry("fees", __("My bills"), residents, order=30)
private_command("bills", __("My bills: what is due, pay in chat"), order=30)

BILLS_SHOWN = 6  # per home, besides its open bills
MAX_PAY_BUTTONS = 6


class PayCb(CallbackData, prefix="fpay"):
    unit_id: int
    bill_id: int  # 0: everything due on the unit


def status_text(bill: Bill, today: date) -> str:
    if bill.status == BillStatus.PAID:
        return _("✅ paid")
    if bill.due_date < today:
        return _("❗ overdue")
    return _("unpaid")


def _office_only() -> str:
    return _("Paying in chat is not available yet: please pay at the property office.")


async def bills_overview(
    session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    units = identity.units
    if not units:
        return _("You have no home registered with us yet, so there are no bills."), None
    communities = await communities_by_id(session, {u.community_id for u in units})
    by_unit = await bills_of_units(session, [u.unit_id for u in units], limit_per_unit=BILLS_SHOWN)
    since = await periods_since(session, [u.residency_id for u in units])
    now = app.clock.now()
    parts: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    can_pay = payments_enabled(app)
    for membership in units:
        community = communities[membership.community_id]
        today = local_today(community, now)
        # Only the bills of their own time there (core.fees.tenure).
        bills = their_bills(by_unit.get(membership.unit_id, []), since.get(membership.residency_id))
        by_unit[membership.unit_id] = bills

        def money(minor: int, currency: str = community.currency) -> str:
            return fmt_money(minor, currency, locale)

        lines = [f"🏠 <b>{membership.unit_label}</b> · {community.name}"]
        if not bills:
            lines.append(_("No bills yet."))
        for bill in bills:
            amount = bill.outstanding_minor if bill.status == BillStatus.OPEN else bill.paid_minor
            lines.append(
                _("• {period}: {amount}, due {date} — {status}").format(
                    period=bill.period,
                    amount=money(amount if amount else bill.amount_due_minor),
                    date=fmt_date(bill.due_date, locale),
                    status=status_text(bill, today),
                )
            )
        due = [b for b in bills if b.status == BillStatus.OPEN and b.outstanding_minor > 0]
        total = sum(b.outstanding_minor for b in due)
        if not due:
            lines.append(_("Nothing is due. Thank you!"))
        else:
            lines.append(_("<b>Due now: {amount}</b>").format(amount=money(total)))
        if due and can_pay:
            for bill in sorted(due, key=lambda b: b.period)[:MAX_PAY_BUTTONS]:
                label = _("Pay {period} · {amount}").format(
                    period=bill.period, amount=money(bill.outstanding_minor)
                )
                pay = PayCb(unit_id=membership.unit_id, bill_id=bill.id)
                rows.append([InlineKeyboardButton(text=label, callback_data=pay.pack())])
            if len(due) > 1:
                label = _("Pay everything due on {unit} · {amount}").format(
                    unit=membership.unit_label, amount=money(total)
                )
                pay = PayCb(unit_id=membership.unit_id, bill_id=0)
                rows.append([InlineKeyboardButton(text=label, callback_data=pay.pack())])
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    if not can_pay and any(
        b.status == BillStatus.OPEN for bills in by_unit.values() for b in bills
    ):
        text += "\n\n" + _office_only()
    rows.append([InlineKeyboardButton(text=_("« Home"), callback_data="menu:home")])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("bills"), StateFilter("*"))
async def bills_command(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    text, markup = await bills_overview(session, app, identity, locale)
    await message.answer(text, reply_markup=markup)


@router.callback_query(F.data == "menu:fees", StateFilter("*"))
async def bills_menu(
    query: CallbackQuery, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    await query.answer()
    text, markup = await bills_overview(session, app, identity, locale)
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup)


@router.callback_query(PayCb.filter(), StateFilter("*"))
async def pay_button(
    query: CallbackQuery,
    callback_data: PayCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    membership = identity.unit(callback_data.unit_id)
    if membership is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "home.use",
            _("This home is not registered to you."),
            target_type="unit",
            target_id=callback_data.unit_id,
        )
        return
    if not payments_enabled(app):
        await query.answer(_office_only(), show_alert=True)
        return
    since = await periods_since(session, [membership.residency_id])
    try:
        draft = await create_invoice(
            session,
            unit_id=membership.unit_id,
            person_id=identity.person_id,
            now=app.clock.now(),
            bill_ids=[callback_data.bill_id] if callback_data.bill_id else None,
            since=since.get(membership.residency_id),
        )
    except FeeError as exc:
        text = (
            _("Nothing is due on this home. Thank you!")
            if exc.code == "nothing_due"
            else _("This bill has already been paid. Open My bills to see what is still due.")
        )
        await query.answer(text, show_alert=True)
        return
    community = await community_of(session, membership.community_id)
    # Telegram asks about the invoice (the pre-checkout, another update) once it is sent.
    await commit_before_send(session)
    await query.answer()
    description = _("{community} {unit}: fees for {periods}.").format(
        community=community.name,
        unit=membership.unit_label,
        periods=", ".join(b.period for b in draft.bills),
    )
    assert query.from_user is not None
    await send_fee_invoice(
        app,
        query.from_user.id,
        draft,
        community=community,
        label=membership.unit_label,
        description=description,
    )
