"""Residents and their fees: "My bills", paying in chat, receipts, the accounts.

Paying: a Pay button sends an invoice (``sendInvoice``) for one bill or for
everything due on a unit. Telegram then asks us to confirm the checkout
(``pre_checkout_query``, answered within 10 s with a clear reason when refused)
and reports the money with a ``successful_payment`` message, which is recorded
exactly once; the receipt goes out through the outbox (handlers.fees_jobs).
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PreCheckoutQuery,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import private_command
from bot.context import AppContext
from core.fees.billing import bills_of_units
from core.fees.common import FeeError, local_today
from core.fees.models import Bill, BillStatus
from core.fees.payments import (
    PAYLOAD_PREFIX,
    CheckoutRefused,
    check_checkout,
    create_invoice,
    hold_checkout,
    record_successful_payment,
)
from core.formatting import fmt_date, fmt_money
from core.identity import Identity
from core.models import Community
from handlers.fees_jobs import (
    kick_outbox,
    payments_enabled,
    send_fee_invoice,
    translations,
)
from handlers.menu import menu_entry, residents

log = logging.getLogger(__name__)

router = Router(name="fees_resident")
# Payment updates get their own router, included right after ``common``: a
# successful_payment must be recorded even when the payer is in the middle of
# another conversation whose catch-all would otherwise take the message.
payments_router = Router(name="fees_payments")

menu_entry("fees", __("My bills"), residents, order=30)
menu_entry("accounts", __("Community accounts"), residents, order=60)
private_command("bills", __("My bills: what is due, pay in chat"), order=30)
private_command("accounts", __("Community accounts: income, spending, fund"), order=60)

MAX_PAY_BUTTONS = 6


class PayCb(CallbackData, prefix="fpay"):
    unit_id: int
    bill_id: int  # 0: everything due on the unit


class AccountsCb(CallbackData, prefix="facc"):
    community_id: int
    half: int  # 0: this half-year so far, 1: the previous half-year


def refusal_text(code: str) -> str:
    texts = {
        "already_paid": _(
            "This bill has already been paid (perhaps by someone else in your home). "
            "Nothing was charged. Open My bills to see what is still due."
        ),
        "amount_changed": _(
            "The amount due has changed since this invoice was made. Nothing was charged. "
            "Open My bills for a new invoice."
        ),
        "in_progress": _(
            "Someone in your home is paying this bill right now. Nothing was charged. "
            "Please try again in a few minutes."
        ),
    }
    return texts.get(
        code,
        _("This invoice is no longer valid. Nothing was charged. Open My bills for a new one."),
    )


def status_text(bill: Bill, today_: object) -> str:
    if bill.status == BillStatus.PAID:
        return _("✅ paid")
    if bill.due_date < today_:  # type: ignore[operator]
        return _("❗ overdue")
    return _("unpaid")


async def _communities(session: AsyncSession, ids: set[int]) -> dict[int, Community]:
    if not ids:
        return {}
    rows = await session.scalars(select(Community).where(Community.id.in_(ids)))
    return {c.id: c for c in rows}


async def bills_overview(
    session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    units = identity.units
    if not units:
        return _("You have no home registered with us yet, so there are no bills."), None
    communities = await _communities(session, {u.community_id for u in units})
    by_unit = await bills_of_units(session, [u.unit_id for u in units], limit_per_unit=6)
    now = app.clock.now()
    parts: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    can_pay = payments_enabled(app)
    for membership in units:
        community = communities[membership.community_id]
        today = local_today(community, now)
        bills = by_unit.get(membership.unit_id, [])

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
        if due:
            lines.append(_("<b>Due now: {amount}</b>").format(amount=money(total)))
            if can_pay:
                for bill in sorted(due, key=lambda b: b.period)[:MAX_PAY_BUTTONS]:
                    rows.append(
                        [
                            InlineKeyboardButton(
                                text=_("Pay {period} · {amount}").format(
                                    period=bill.period, amount=money(bill.outstanding_minor)
                                ),
                                callback_data=PayCb(
                                    unit_id=membership.unit_id, bill_id=bill.id
                                ).pack(),
                            )
                        ]
                    )
                if len(due) > 1:
                    rows.append(
                        [
                            InlineKeyboardButton(
                                text=_("Pay everything due on {unit} · {amount}").format(
                                    unit=membership.unit_label, amount=money(total)
                                ),
                                callback_data=PayCb(unit_id=membership.unit_id, bill_id=0).pack(),
                            )
                        ]
                    )
        else:
            lines.append(_("Nothing is due. Thank you!"))
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    if not can_pay and any(
        b.status == BillStatus.OPEN for bills in by_unit.values() for b in bills
    ):
        text += "\n\n" + _(
            "Paying in chat is not available yet: please pay at the property office."
        )
    rows.append([InlineKeyboardButton(text=_("« Home"), callback_data="menu:home")])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("bills"), F.chat.type == "private", StateFilter("*"))
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
        await query.answer(_("This home is not registered to you."), show_alert=True)
        return
    if not payments_enabled(app):
        await query.answer(
            _("Paying in chat is not available yet: please pay at the property office."),
            show_alert=True,
        )
        return
    try:
        draft = await create_invoice(
            session,
            unit_id=membership.unit_id,
            person_id=identity.person_id,
            now=app.clock.now(),
            bill_ids=[callback_data.bill_id] if callback_data.bill_id else None,
        )
    except FeeError as exc:
        text = (
            _("Nothing is due on this home. Thank you!")
            if exc.code == "nothing_due"
            else _("This bill has already been paid. Open My bills to see what is still due.")
        )
        await query.answer(text, show_alert=True)
        return
    community = await session.get(Community, membership.community_id)
    assert community is not None
    await session.commit()  # the invoice must exist before Telegram can ask about it
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


@payments_router.pre_checkout_query(F.invoice_payload.startswith(PAYLOAD_PREFIX + ":"))
async def pre_checkout(query: PreCheckoutQuery, session: AsyncSession, app: AppContext) -> None:
    """Answer fast: three indexed reads, one upsert, committed before the answer."""
    now = app.clock.now()
    try:
        checkout = await check_checkout(
            session,
            payload=query.invoice_payload,
            currency=query.currency,
            total_amount=query.total_amount,
            now=now,
        )
        try:
            await hold_checkout(session, checkout, now=now)
        except CheckoutRefused:
            await session.rollback()
            raise
        await session.commit()
    except CheckoutRefused as refused:
        log.info("checkout refused", extra={"fields": {"reason": refused.code}})
        await query.answer(ok=False, error_message=refusal_text(refused.code))
        return
    await query.answer(ok=True)


@payments_router.message(
    F.successful_payment,
    F.successful_payment.invoice_payload.startswith(PAYLOAD_PREFIX + ":"),
)
async def successful_payment(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    paid = message.successful_payment
    assert paid is not None
    try:
        result = await record_successful_payment(
            session,
            payload=paid.invoice_payload,
            currency=paid.currency,
            total_amount=paid.total_amount,
            telegram_payment_charge_id=paid.telegram_payment_charge_id,
            provider_payment_charge_id=paid.provider_payment_charge_id,
            payer_person_id=identity.person_id,
            chat_id=message.chat.id,
            now=app.clock.now(),
        )
        await session.commit()
    except FeeError:
        # Money arrived that no invoice of ours explains: keep every detail in the log.
        log.error(
            "payment for an unknown invoice",
            extra={
                "fields": {
                    "payload": paid.invoice_payload,
                    "charge": paid.telegram_payment_charge_id,
                    "amount": paid.total_amount,
                }
            },
        )
        await message.answer(
            _(
                "We received your payment but could not match it to a bill. Please show "
                "this message to the property office: {charge}"
            ).format(charge=paid.telegram_payment_charge_id)
        )
        return
    if not result.created:
        return  # a duplicate delivery: recorded and receipted the first time
    kick_outbox(app, result.outbox_ids)


# --- the accounts -----------------------------------------------------------------------


@router.message(Command("accounts"), F.chat.type == "private", StateFilter("*"))
async def accounts_command(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    await _send_accounts(message, session, app, identity, locale, community_id=None, half=0)


@router.callback_query(F.data == "menu:accounts", StateFilter("*"))
async def accounts_menu(
    query: CallbackQuery, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _send_accounts(
            query.message, session, app, identity, locale, community_id=None, half=0
        )


@router.callback_query(AccountsCb.filter(), StateFilter("*"))
async def accounts_other(
    query: CallbackQuery,
    callback_data: AccountsCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    locale: str,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _send_accounts(
            query.message,
            session,
            app,
            identity,
            locale,
            community_id=callback_data.community_id,
            half=callback_data.half,
        )


async def _send_accounts(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    locale: str,
    *,
    community_id: int | None,
    half: int,
) -> None:
    """The statement of the current (or previous) half-year: message, chart, PDF."""
    import asyncio

    from core.fees.accounts import build_statement, half_year_bounds, render_statement

    ids = sorted(
        {u.community_id for u in identity.units} | {s.community_id for s in identity.staff}
    )
    if community_id is not None and community_id in ids:
        ids = [community_id]
    if not ids:
        await message.answer(_("The accounts are open to the residents of a community."))
        return
    community = await session.get(Community, ids[0])
    assert community is not None
    today = local_today(community, app.clock.now())
    start, end = half_year_bounds(today, previous=bool(half))
    data = await build_statement(session, community, start, end, as_of=app.clock.now())
    rendered = render_statement(data, locale=locale, translations=translations(app, locale))
    other = InlineKeyboardButton(
        text=_("Previous half-year") if not half else _("This half-year so far"),
        callback_data=AccountsCb(community_id=community.id, half=0 if half else 1).pack(),
    )
    await message.answer(
        rendered.text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[other]])
    )
    png = await asyncio.to_thread(rendered.chart)
    if png is not None:
        await message.answer_photo(BufferedInputFile(png, filename="accounts.png"))
    pdf = await asyncio.to_thread(rendered.pdf)
    if pdf is not None:
        await message.answer_document(BufferedInputFile(pdf, filename=rendered.filename))
