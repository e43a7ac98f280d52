"""Paying temporary parking in the chat (the gate side is
:func:`access.vehicles.plate_gate.charge_exit`).

- :func:`stays_to_pay` — the cars of a resident's homes inside now (their own, their
  visitors') with what each owes; :func:`stay_by_code` — the stay whose exit terminal
  showed this code (anyone may pay for it).
- :func:`check_parking_checkout` — Telegram's pre-checkout: the car is still inside and
  the amount is what is due now; otherwise ``left`` (the exit already opened: nothing is
  charged), ``nothing_due`` (already paid) or ``amount_changed`` (another hour started).
- :func:`record_parking_payment` — the money moved: into the fee ledger (the public
  accounts' "temporary parking") and onto the stay, once (the ledger's charge id is
  unique), even if the car left meanwhile, which the caller tells the payer and the
  office; :func:`stay_payments` — the ledger's payments of a stay (for a refund).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import hash_code
from access.vehicles.models import VehicleVisit
from access.vehicles.parking_codes import EXIT_GRACE, PAY_CODE_DIGITS
from access.vehicles.tariff import ParkingTariff, TariffError, stay_due
from core.audit import record_audit
from core.fees.common import FeeError
from core.fees.ledger import record_payment
from core.fees.models import FeeItem, FeeItemTarget, FeeKind, Payment, PaymentMethod
from core.fees.spool import SpooledPayment
from core.fees.statement import PARKING_NOTE, is_parking_payment
from core.models import Community

PAYLOAD_PREFIX = "park"


class ParkingError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StayDue:
    stay: VehicleVisit
    community: Community
    due_minor: int


def payload(stay_id: int, amount_minor: int) -> str:
    return f"{PAYLOAD_PREFIX}:{stay_id}:{amount_minor}"


def read_payload(text: str) -> tuple[int, int] | None:
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != PAYLOAD_PREFIX:
        return None
    if not (parts[1].isdigit() and parts[2].isdigit()) or len(parts[1]) > 18:
        return None
    return int(parts[1]), int(parts[2])


async def _monthly(session: AsyncSession, unit_id: int | None) -> bool:
    if unit_id is None:
        return False
    found = await session.scalar(
        select(FeeItemTarget.id)
        .join(FeeItem, FeeItem.id == FeeItemTarget.fee_item_id)
        .where(
            FeeItemTarget.unit_id == unit_id,
            FeeItem.kind == FeeKind.PARKING,
            FeeItem.active.is_(True),
        )
        .limit(1)
    )
    return found is not None


async def due_now(session: AsyncSession, stay: VehicleVisit, now: datetime) -> StayDue:
    """What the stay owes now, by the gate's rule (free: the white list, a resident's
    car whose home pays monthly parking, no tariff)."""
    community = await session.get(Community, stay.community_id)
    assert community is not None
    free = stay.reason == "listed" or (
        stay.reason == "vehicle" and await _monthly(session, stay.unit_id)
    )
    try:
        tariff = ParkingTariff.of(community.config)
    except TariffError:
        tariff = None
    if free or tariff is None or not stay.inside:
        return StayDue(stay, community, 0)
    due = stay_due(
        tariff,
        klass=stay.vehicle_class,
        entered=stay.entered_at,
        paid_minor=stay.paid_minor,
        paid_at=stay.paid_at,
        now=now,
        timezone=community.timezone,
        grace=EXIT_GRACE,
    )
    return StayDue(stay, community, due)


async def stays_to_pay(session: AsyncSession, unit_ids: list[int], now: datetime) -> list[StayDue]:
    rows = (
        await session.scalars(
            select(VehicleVisit)
            .where(VehicleVisit.unit_id.in_(unit_ids), VehicleVisit.inside.is_(True))
            .order_by(VehicleVisit.entered_at)
        )
    ).all()
    return [d for d in [await due_now(session, r, now) for r in rows] if d.due_minor > 0]


async def stay_by_code(session: AsyncSession, secret_key: str, code: str) -> VehicleVisit | None:
    code = "".join(code.split())
    if len(code) != PAY_CODE_DIGITS or not code.isascii() or not code.isdigit():
        return None
    return await session.scalar(
        select(VehicleVisit).where(VehicleVisit.pay_hash == hash_code(secret_key, code))
    )


async def check_parking_checkout(
    session: AsyncSession, stay_id: int, amount_minor: int, now: datetime
) -> StayDue:
    stay = await session.get(VehicleVisit, stay_id, populate_existing=True)
    if stay is None:
        raise ParkingError("unknown")
    if not stay.inside:
        raise ParkingError("left")
    due = await due_now(session, stay, now)
    if due.due_minor <= 0:
        raise ParkingError("nothing_due")
    if due.due_minor != amount_minor:
        raise ParkingError("amount_changed")
    return due


async def record_parking_payment(
    session: AsyncSession,
    *,
    stay_id: int,
    amount_minor: int,
    charge_id: str,
    now: datetime,
    payer_person_id: int | None = None,
    provider_charge_id: str | None = None,
) -> tuple[VehicleVisit | None, bool]:
    """Record the payment in the fee ledger (income "temporary parking", noted with
    the stay) and add it to the stay, both once, in the caller's transaction: the
    ledger's unique charge id decides whether this report is new. Returns the stay
    and whether it was. A car that left meanwhile still has the money recorded."""
    stay = await session.get(VehicleVisit, stay_id, populate_existing=True)
    if stay is None or amount_minor <= 0:
        return None, False
    community = await session.get(Community, stay.community_id)
    assert community is not None
    if stay.unit_id is not None:
        entry = await record_payment(
            session,
            community_id=stay.community_id,
            unit_id=stay.unit_id,
            method=PaymentMethod.TELEGRAM,
            amount_minor=amount_minor,
            currency=community.currency,
            settle_bill_ids=[],
            now=now,
            payer_person_id=payer_person_id,
            telegram_payment_charge_id=charge_id,
            provider_payment_charge_id=provider_charge_id,
            note=f"{PARKING_NOTE}{stay.id} {stay.plate}",
        )
        if not entry.created:
            return stay, False
    result = await session.execute(
        update(VehicleVisit)
        .where(VehicleVisit.id == stay_id)
        .where((VehicleVisit.paid_charge_id.is_(None)) | (VehicleVisit.paid_charge_id != charge_id))
        .values(
            paid_minor=VehicleVisit.paid_minor + amount_minor,
            paid_at=now,
            paid_charge_id=charge_id[:128],
        )
        .execution_options(synchronize_session=False)
    )
    stay = await session.get(VehicleVisit, stay_id, populate_existing=True)
    return stay, getattr(result, "rowcount", 0) == 1


@dataclass(frozen=True)
class ParkingPaid:
    stay: VehicleVisit
    new: bool  # False: this charge was recorded before (a repeated report)
    community: Community
    amount_minor: int

    @property
    def after_exit(self) -> bool:
        """A new payment for a car that had already left: the office refunds it."""
        return self.new and not self.stay.inside


async def record_reported_parking(
    session: AsyncSession, report: SpooledPayment, payer_person_id: int | None
) -> ParkingPaid:
    """A ``park:`` payment Telegram reported (live, or replayed from the fees' payment
    spool): recorded once; a new one for a car that already left gets an audit row
    (``parking.paid_after_exit``) for the office to refund. ``FeeError`` when no stay
    of ours explains it."""
    read = read_payload(report.payload)
    stay, new = (None, False)
    if read is not None:
        stay, new = await record_parking_payment(
            session,
            stay_id=read[0],
            amount_minor=report.total_amount,
            charge_id=report.telegram_payment_charge_id,
            now=report.received_at,
            payer_person_id=payer_person_id,
            provider_charge_id=report.provider_payment_charge_id,
        )
    if stay is None:
        raise FeeError("unknown_invoice", payload=report.payload)
    community = await session.get(Community, stay.community_id)
    assert community is not None
    paid = ParkingPaid(stay, new, community, report.total_amount)
    if paid.after_exit:
        await record_audit(
            session,
            "parking.paid_after_exit",
            community_id=stay.community_id,
            actor_person_id=payer_person_id,
            actor_telegram_id=report.payer_telegram_id,
            target_type="vehicle_visit",
            target_id=stay.id,
            details={
                "plate": stay.plate,
                "amount_minor": report.total_amount,
                "charge": report.telegram_payment_charge_id,
                "locale": report.locale,
            },
        )
    return paid


async def stay_payments(session: AsyncSession, stay: VehicleVisit) -> list[Payment]:
    """The ledger's payments for this stay, oldest first."""
    return list(
        (
            await session.scalars(
                select(Payment)
                .where(
                    Payment.community_id == stay.community_id,
                    *is_parking_payment(),
                    Payment.note.startswith(f"{PARKING_NOTE}{stay.id} "),
                )
                .order_by(Payment.id)
            )
        ).all()
    )
