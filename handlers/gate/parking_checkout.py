"""Temporary parking paid in the chat: Telegram's checkout and its payment report.

1. ``pre_checkout_query`` (payload ``park:``): the car is still inside and the amount
   is what it owes now — else refused with why, and nothing is charged: the exit
   already opened (a payment for an exit already opened), already paid, or another
   hour started (press Pay again).
2. ``successful_payment``: the money is added to the stay once (a repeated report
   counts once); the payer hears that the exit opens for the plate. If the car left
   between the checkout and the report, the payment is still recorded, the payer is
   told the office refunds it, the audit log keeps a row, and the admin group is told
   to refund it (``/parkrefund``, handlers.gate.parking_refund).
   If the database cannot take it, the error handler writes it to the fees' payment
   spool (handlers.fees.spool, registered here) and the spool's job records it later,
   once, and tells the payer.
On its own router, before every flow (a payment report must not be taken by a
conversation's catch-all).
"""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, PreCheckoutQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.vehicles.models import VehicleVisit
from access.vehicles.parking import (
    PAYLOAD_PREFIX,
    ParkingError,
    ParkingPaid,
    check_parking_checkout,
    read_payload,
    record_reported_parking,
)
from bot.context import AppContext
from core.fees.common import FeeError
from core.fees.spool import SpooledPayment
from core.formatting import fmt_money
from core.identity import Identity
from handlers.fees.checkout import reported_payment
from handlers.fees.spool import SpooledKind, spool_payments, tell_payer_once
from handlers.kit import commit_before_send, group_locale, private_router

log = logging.getLogger(__name__)
router = private_router("gate.parking_checkout")
PARKING = F.invoice_payload.startswith(PAYLOAD_PREFIX + ":")


def _refusal(code: str) -> str:
    texts = {
        "left": _("That car has already left through the exit. Nothing was charged."),
        "nothing_due": _("Parking for that car is already paid. Nothing more was charged."),
        "amount_changed": _(
            "Another hour has started since this invoice. Nothing was charged: please press "
            "Pay again."
        ),
    }
    return texts.get(code, _("This invoice is no longer valid. Nothing was charged."))


@router.pre_checkout_query(PARKING)
async def parking_pre_checkout(
    query: PreCheckoutQuery, session: AsyncSession, app: AppContext
) -> None:
    read = read_payload(query.invoice_payload)
    try:
        if read is None:
            raise ParkingError("unknown")
        await check_parking_checkout(session, read[0], query.total_amount, app.clock.now())
    except ParkingError as exc:
        log.info("parking checkout refused", extra={"fields": {"reason": exc.code}})
        await query.answer(ok=False, error_message=_refusal(exc.code))
        return
    await query.answer(ok=True)


def _paid_text(stay: VehicleVisit) -> str:
    if not stay.inside:
        return _(
            "{plate} had already left when this payment arrived. It is recorded, and the "
            "property office will refund it."
        ).format(plate=stay.plate)
    return _("✅ Parking for {plate} is paid. The exit opens for it within 15 minutes.").format(
        plate=stay.plate
    )


@router.message(F.successful_payment, F.successful_payment.invoice_payload.startswith("park:"))
async def parking_paid(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    report = reported_payment(app, message, locale)
    try:
        paid = await record_reported_parking(session, report, identity.person_id)
    except FeeError:
        log.error("parking payment for no stay", extra={"fields": {"payload": report.payload}})
        await message.answer(
            _("We received your payment but could not match it. Please show this to the "
              "property office: {charge}").format(charge=report.telegram_payment_charge_id)
        )  # fmt: skip
        return
    await commit_before_send(session)
    if not paid.new:
        return  # a repeated report: recorded and answered the first time
    await message.answer(_paid_text(paid.stay))
    await _tell_office(app, paid)


async def _spooled_paid(ctx: AppContext, item: SpooledPayment, paid: ParkingPaid) -> None:
    """A parking payment recorded from the fees' spool: the payer hears it, once."""
    if paid.new:
        key = f"parking.spool.paid:{item.telegram_payment_charge_id}"
        await tell_payer_once(ctx, item, key, lambda: _paid_text(paid.stay))
        await _tell_office(ctx, paid)


async def _tell_office(app: AppContext, paid: ParkingPaid) -> None:
    """A payment after the car left: the admin group hears how to refund it."""
    chat_id = paid.community.admin_chat_id
    if not paid.after_exit or chat_id is None or app.bot is None:
        return
    locale = group_locale(app, paid.community)
    with app.i18n.use_locale(locale):
        text = _(
            "💳 A parking payment of {amount} for {plate} arrived after the car had left. "
            "Return it to the payer, then record it with /parkrefund {plate}"
        ).format(
            amount=fmt_money(paid.amount_minor, paid.community.currency, locale),
            plate=paid.stay.plate,
        )
    try:
        await app.bot.send_message(chat_id, text)
    except TelegramAPIError as exc:  # the audit row still shows the office
        log.info("late parking payment not posted", extra={"fields": {"error": str(exc)}})


spool_payments(PAYLOAD_PREFIX, SpooledKind(record_reported_parking, _spooled_paid))
