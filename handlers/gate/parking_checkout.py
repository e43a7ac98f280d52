"""Temporary parking paid in the chat: Telegram's checkout and its payment report.

1. ``pre_checkout_query`` (payload ``park:``): the car is still inside and the amount
   is what it owes now — else refused with why, and nothing is charged: the exit
   already opened (a payment for an exit already opened), already paid, or another
   hour started (press Pay again).
2. ``successful_payment``: the money is added to the stay once (a repeated report
   counts once); the payer hears that the exit opens for the plate. If the car left
   between the checkout and the report, the payment is still recorded, the payer is
   told the office refunds it, and the audit log keeps a row for the office.
On its own router, before every flow (a payment report must not be taken by a
conversation's catch-all).
"""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.types import Message, PreCheckoutQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.vehicles.parking import (
    PAYLOAD_PREFIX,
    ParkingError,
    check_parking_checkout,
    read_payload,
    record_parking_payment,
)
from bot.context import AppContext
from core.audit import record_audit
from core.identity import Identity
from handlers.kit import commit_before_send, private_router

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


@router.message(F.successful_payment, F.successful_payment.invoice_payload.startswith("park:"))
async def parking_paid(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    paid = message.successful_payment
    assert paid is not None
    read = read_payload(paid.invoice_payload)
    stay, new = (None, False)
    if read is not None:
        stay, new = await record_parking_payment(
            session,
            stay_id=read[0],
            amount_minor=paid.total_amount,
            charge_id=paid.telegram_payment_charge_id,
            now=app.clock.now(),
            payer_person_id=identity.person_id,
            provider_charge_id=paid.provider_payment_charge_id,
        )
    if stay is None:
        log.error(
            "parking payment for no stay", extra={"fields": {"payload": paid.invoice_payload}}
        )
        await message.answer(
            _("We received your payment but could not match it. Please show this to the "
              "property office: {charge}").format(charge=paid.telegram_payment_charge_id)
        )  # fmt: skip
        return
    if new and not stay.inside:
        await record_audit(
            session,
            "parking.paid_after_exit",
            community_id=stay.community_id,
            actor_person_id=identity.person_id,
            actor_telegram_id=identity.telegram_id,
            target_type="vehicle_visit",
            target_id=stay.id,
            details={"plate": stay.plate, "amount_minor": paid.total_amount},
        )
    await commit_before_send(session)
    if not stay.inside:
        await message.answer(
            _("{plate} had already left when this payment arrived. It is recorded, and the "
              "property office will refund it.").format(plate=stay.plate)
        )  # fmt: skip
        return
    await message.answer(
        _("✅ Parking for {plate} is paid. The exit opens for it within 15 minutes.").format(
            plate=stay.plate
        )
    )
