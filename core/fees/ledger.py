"""The payment ledger: payments and how they settle bills, refunds, adjustments.

Every function here adds entries; none edits one (the tables are append-only in
the database too). A bill's summary columns are recomputed from the entries by
:func:`refresh_bills` in the same transaction, after the rows were locked with
:func:`core.fees.common.lock_rows`, so concurrent writers cannot both settle
the same bill.

Public API: :func:`record_payment` (the one way money comes in, online or
offline), :func:`record_offline_payment` (here); :func:`refund_payment`,
:func:`adjust_bill`, :func:`payment_refundable` (:mod:`core.fees.corrections`) and
:func:`refresh_bills` (:mod:`core.fees.bill_totals`), re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.fees.bill_totals import refresh_bills
from core.fees.common import MAX_REASON, FeeError, lock_rows
from core.fees.corrections import Refundable, adjust_bill, payment_refundable, refund_payment
from core.fees.models import (
    Bill,
    BillStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
from core.models import Community


@dataclass
class PaymentResult:
    payment: Payment
    created: bool
    allocations: dict[int, int] = field(default_factory=dict)  # bill id → minor units
    surplus_minor: int = 0
    outbox_ids: list[int] = field(default_factory=list)  # messages enqueued with it


def _insert_fn(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def record_payment(
    session: AsyncSession,
    *,
    community_id: int,
    unit_id: int,
    method: PaymentMethod,
    amount_minor: int,
    currency: str,
    settle_bill_ids: Sequence[int],
    now: datetime,
    payer_person_id: int | None = None,
    telegram_payment_charge_id: str | None = None,
    provider_payment_charge_id: str | None = None,
    invoice_id: int | None = None,
    recorded_by_person_id: int | None = None,
    note: str = "",
) -> PaymentResult:
    """Record money received and settle ``settle_bill_ids`` in that order.

    With a ``telegram_payment_charge_id`` the insert is ``ON CONFLICT DO NOTHING``:
    a duplicate delivery of the same ``successful_payment`` finds the existing
    payment and changes nothing (``created`` is False). The insert comes first,
    so on SQLite it also takes the write lock before anything is read.
    """
    if amount_minor <= 0:
        raise FeeError("bad_amount")
    values = {
        "community_id": community_id,
        "unit_id": unit_id,
        "method": method,
        "amount_minor": amount_minor,
        "currency": currency,
        "payer_person_id": payer_person_id,
        "telegram_payment_charge_id": telegram_payment_charge_id,
        "provider_payment_charge_id": provider_payment_charge_id,
        "invoice_id": invoice_id,
        "recorded_by_person_id": recorded_by_person_id,
        "note": note[:MAX_REASON],
        "received_at": now,
        "created_at": now,
    }
    stmt = _insert_fn(session)(Payment).values(**values)
    if telegram_payment_charge_id is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["telegram_payment_charge_id"])
    payment = (
        await session.scalars(
            stmt.returning(Payment), execution_options={"populate_existing": True}
        )
    ).first()
    if payment is None:
        existing = await session.scalar(
            select(Payment).where(Payment.telegram_payment_charge_id == telegram_payment_charge_id)
        )
        assert existing is not None
        return PaymentResult(payment=existing, created=False)
    await lock_rows(session, Bill, settle_bill_ids)
    order = {bill_id: i for i, bill_id in enumerate(settle_bill_ids)}
    bills = sorted(
        (
            await session.scalars(
                select(Bill)
                .where(Bill.id.in_(list(order)), Bill.unit_id == unit_id)
                .execution_options(populate_existing=True)
            )
        ).all(),
        key=lambda b: order[b.id],
    )
    remaining = amount_minor
    allocations: dict[int, int] = {}
    for bill in bills:
        if remaining <= 0:
            break
        if bill.status != BillStatus.OPEN or bill.currency != currency:
            continue
        share = min(bill.outstanding_minor, remaining)
        if share <= 0:
            continue
        allocations[bill.id] = share
        remaining -= share
        # The bill row is locked and its summary current, so the new summary is
        # the old one plus this allocation (what refresh_bills would compute).
        bill.paid_minor += share
        if bill.paid_minor >= bill.amount_due_minor:
            bill.status = BillStatus.PAID
            bill.paid_at = now
    if allocations:
        await session.execute(
            insert(PaymentAllocation),
            [
                {"payment_id": payment.id, "bill_id": b, "amount_minor": a, "created_at": now}
                for b, a in allocations.items()
            ],
        )
        await session.flush()
    return PaymentResult(
        payment=payment, created=True, allocations=allocations, surplus_minor=remaining
    )


async def record_offline_payment(
    session: AsyncSession,
    community: Community,
    *,
    unit_id: int,
    method: PaymentMethod,
    amount_minor: int,
    note: str,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
    now: datetime,
) -> PaymentResult:
    """Cash or bank transfer taken by staff, settling the unit's oldest open bills.

    More than is due is refused: an offline overpayment is a counting mistake,
    not a credit we want to keep.
    """
    if method == PaymentMethod.TELEGRAM:
        raise FeeError("bad_method")
    note = note.strip()
    if not note:
        raise FeeError("reason_required")
    open_ids = (
        await session.scalars(
            select(Bill.id)
            .where(Bill.unit_id == unit_id, Bill.status == BillStatus.OPEN)
            .order_by(Bill.period)
        )
    ).all()
    await lock_rows(session, Bill, open_ids)
    bills = (
        await session.scalars(
            select(Bill)
            .where(Bill.id.in_(open_ids))
            .order_by(Bill.period)
            .execution_options(populate_existing=True)
        )
    ).all()
    due = sum(b.outstanding_minor for b in bills if b.status == BillStatus.OPEN)
    if due <= 0:
        raise FeeError("nothing_due")
    if amount_minor > due:
        raise FeeError("more_than_due", due_minor=due)
    result = await record_payment(
        session,
        community_id=community.id,
        unit_id=unit_id,
        method=method,
        amount_minor=amount_minor,
        currency=community.currency,
        settle_bill_ids=[b.id for b in bills],
        now=now,
        recorded_by_person_id=actor_person_id,
        note=note,
    )
    await record_audit(
        session,
        "fees.payment_offline",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="payment",
        target_id=result.payment.id,
        details={
            "unit_id": unit_id,
            "method": method.value,
            "amount_minor": amount_minor,
            "bills": {str(k): v for k, v in result.allocations.items()},
            "reason": note,
        },
    )
    return result


__all__ = [
    "MAX_REASON",
    "PaymentResult",
    "Refundable",
    "adjust_bill",
    "payment_refundable",
    "record_offline_payment",
    "record_payment",
    "refresh_bills",
    "refund_payment",
]
