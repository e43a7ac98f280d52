"""Refunding temporary parking paid after the car had already left.

Such a payment is still recorded (:func:`access.vehicles.parking.record_reported_parking`),
with an audit row ``parking.paid_after_exit`` naming the charge, the payer and their
language. :func:`refund_late_parking` refunds every such payment of the plate's stays
not refunded yet, in the fee ledger (:func:`core.fees.ledger.refund_payment`: a refund
row, audited ``fees.refund``; the public accounts' parking income drops by it), and
says whom to tell. The Bot API cannot give back a card payment (only Telegram Stars),
so the refund is recorded as *manual*: the office returns the money through the
payment provider or in cash, and the payer is told so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.plates import valid_plate
from access.vehicles.models import VehicleVisit
from access.vehicles.parking import ParkingError
from core.fees.common import lock_rows
from core.fees.ledger import payment_refundable, refund_payment
from core.fees.models import Payment
from core.models import AuditEntry, Community, Person

PAID_AFTER_EXIT = "parking.paid_after_exit"
REASON = "manual refund: temporary parking {plate} paid after the car left"


@dataclass(frozen=True)
class PayerToTell:
    telegram_id: int
    locale: str
    amount_minor: int


@dataclass
class LateRefund:
    plate: str
    amount_minor: int = 0
    payment_ids: list[int] = field(default_factory=list)
    tell: list[PayerToTell] = field(default_factory=list)


async def refund_late_parking(
    session: AsyncSession,
    community: Community,
    plate_text: str,
    *,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
    now: datetime,
) -> LateRefund:
    """Refund what was paid for ``plate_text``'s stays after they had left; raises
    ``ParkingError`` ``bad_plate`` or ``nothing_to_refund``. Once only: the plate's stays
    are locked, and a refunded payment has nothing refundable left."""
    plate = valid_plate(plate_text)
    if plate is None:
        raise ParkingError("bad_plate")
    stay_ids = (
        await session.scalars(
            select(VehicleVisit.id).where(
                VehicleVisit.community_id == community.id, VehicleVisit.plate == plate
            )
        )
    ).all()
    # The payments are append-only: two refunds of the plate serialise on its stays.
    await lock_rows(session, VehicleVisit, stay_ids)
    rows = (
        await session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.community_id == community.id,
                AuditEntry.action == PAID_AFTER_EXIT,
                AuditEntry.target_type == "vehicle_visit",
                AuditEntry.target_id.in_([str(i) for i in stay_ids]),
            )
            .order_by(AuditEntry.id)
        )
    ).all()
    late = {str(r.details.get("charge")): r for r in rows if r.details.get("charge")}
    payments = (
        await session.scalars(
            select(Payment).where(
                Payment.community_id == community.id,
                Payment.telegram_payment_charge_id.in_(list(late)),
            )
        )
    ).all()
    done = LateRefund(plate)
    for payment in sorted(payments, key=lambda p: p.id):
        refundable = await payment_refundable(session, payment)
        if refundable.total_minor <= 0:
            continue
        await refund_payment(
            session,
            community,
            payment_id=payment.id,
            amount_minor=refundable.total_minor,
            reason=REASON.format(plate=plate),
            actor_person_id=actor_person_id,
            actor_telegram_id=actor_telegram_id,
            now=now,
        )
        done.amount_minor += refundable.total_minor
        done.payment_ids.append(payment.id)
        told = await _payer(session, community, late[str(payment.telegram_payment_charge_id)])
        if told is not None:
            done.tell.append(PayerToTell(told[0], told[1], refundable.total_minor))
    if not done.payment_ids:
        raise ParkingError("nothing_to_refund")
    return done


async def _payer(
    session: AsyncSession, community: Community, row: AuditEntry
) -> tuple[int, str] | None:
    """The payer's Telegram id and language, from the payment's audit row."""
    if row.actor_telegram_id is None:
        return None
    locale = row.details.get("locale")
    if not locale and row.actor_person_id is not None:
        person = await session.get(Person, row.actor_person_id)
        locale = person.locale if person is not None else None
    return row.actor_telegram_id, str(locale or community.locale)
