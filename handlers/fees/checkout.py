"""Paying in chat, after the invoice: Telegram's checkout and its payment report.

Steps:
1. ``pre_checkout_query`` — Telegram asks whether the checkout may go ahead and
   wants the answer within 10 s: the invoice is checked against the bills and
   they are held for this invoice (core.fees.chat_payments.approve_checkout),
   or it is refused with a clear reason and nothing is charged;
2. ``successful_payment`` — the money moved: it is recorded exactly once, and
   the receipt goes out through the outbox (handlers.fees.outbox). Money no
   invoice of ours explains is logged in full and the payer is told what to show
   the office. If the database cannot take it, the error handler spools it
   (handlers.fees.spool).

These run on their own router, included before every flow: a successful_payment
must be recorded even when the payer is in the middle of another conversation
whose catch-all would otherwise take the message.
"""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, PreCheckoutQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.fees.chat_payments import approve_checkout, record_reported_payment
from core.fees.checkout import paid_with
from core.fees.common import FeeError
from core.fees.payments import PAYLOAD_PREFIX, CheckoutRefused
from core.fees.spool import SpooledPayment
from core.identity import Identity
from handlers.fees.outbox import kick_outbox
from handlers.kit import commit_before_send, private_router

log = logging.getLogger(__name__)

router = private_router("fees.payments")


def refusal_text(code: str) -> str:
    texts = {
        "paid_here": _(
            "You have already paid this invoice — thank you. Nothing more was charged; "
            "your receipt is in this chat."
        ),
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


def unmatched_text(charge_id: str) -> str:
    return _(
        "We received your payment but could not match it to a bill. Please show "
        "this message to the property office: {charge}"
    ).format(charge=charge_id)


@router.pre_checkout_query(F.invoice_payload.startswith(PAYLOAD_PREFIX + ":"))
async def pre_checkout(query: PreCheckoutQuery, session: AsyncSession, app: AppContext) -> None:
    """Answer fast: three indexed reads, one upsert, committed before the answer."""
    try:
        await approve_checkout(
            session,
            payload=query.invoice_payload,
            currency=query.currency,
            total_amount=query.total_amount,
            now=app.clock.now(),
        )
    except CheckoutRefused as refused:
        log.info("checkout refused", extra={"fields": {"reason": refused.code}})
        code = refused.code
        if code == "already_paid" and await paid_with(session, query.invoice_payload):
            code = "paid_here"
        await query.answer(ok=False, error_message=refusal_text(code))
        return
    # Telegram charges once it hears yes: the holds must be committed by then, so
    # another payer's checkout of the same bills finds them.
    await commit_before_send(session)
    await query.answer(ok=True)


def reported_payment(ctx: AppContext, message: Message, locale: str) -> SpooledPayment:
    """What Telegram reported in a ``successful_payment`` message, who paid, and
    where to answer (in ``locale``)."""
    paid = message.successful_payment
    assert paid is not None
    return SpooledPayment(
        payload=paid.invoice_payload,
        currency=paid.currency,
        total_amount=paid.total_amount,
        telegram_payment_charge_id=paid.telegram_payment_charge_id,
        provider_payment_charge_id=paid.provider_payment_charge_id,
        payer_telegram_id=message.from_user.id if message.from_user else None,
        chat_id=message.chat.id,
        received_at=ctx.clock.now(),
        locale=locale,
    )


@router.message(
    F.successful_payment, F.successful_payment.invoice_payload.startswith(PAYLOAD_PREFIX + ":")
)
async def successful_payment(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    report = reported_payment(app, message, locale)
    try:
        result = await record_reported_payment(session, report, payer_person_id=identity.person_id)
    except FeeError:
        # Money arrived that no invoice of ours explains: keep every detail in the log.
        log.error(
            "payment for an unknown invoice",
            extra={
                "fields": {
                    "payload": report.payload,
                    "charge": report.telegram_payment_charge_id,
                    "amount": report.total_amount,
                }
            },
        )
        await message.answer(unmatched_text(report.telegram_payment_charge_id))
        return
    if not result.created:
        return  # a duplicate delivery: recorded and receipted the first time
    # The receipts are delivered right away, from another session: it must find them.
    await commit_before_send(session)
    kick_outbox(app, result.outbox_ids)
    await _retire_invoice(message)


async def _retire_invoice(message: Message) -> None:
    """The paid invoice leaves the chat (the payment's own message and the receipt
    stay): a second tap on its Pay button would only be refused as already paid."""
    invoice = message.reply_to_message
    if invoice is None or invoice.invoice is None:
        return
    try:
        await invoice.delete()
    except TelegramAPIError as exc:  # too old to delete (48 h): its Pay is refused, politely
        log.info("paid invoice not deleted", extra={"fields": {"error": str(exc)}})
