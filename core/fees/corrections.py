"""Corrections in the ledger: refunds of a payment (:func:`payment_refundable` says how
much of it, per bill) and adjustments of a bill. Each is a new entry, never an edit;
the bills' summaries are recomputed in the same transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.fees.bill_totals import refresh_bills
from core.fees.common import MAX_REASON, FeeError, lock_rows
from core.fees.models import (
    AdjustmentKind,
    Bill,
    BillAdjustment,
    Payment,
    PaymentAllocation,
    Refund,
)
from core.models import Community


@dataclass(frozen=True)
class Refundable:
    total_minor: int
    unallocated_minor: int
    per_bill: dict[int, int]  # bill id → refundable part, newest bill first


async def payment_refundable(session: AsyncSession, payment: Payment) -> Refundable:
    allocations = dict(
        (
            await session.execute(
                select(PaymentAllocation.bill_id, PaymentAllocation.amount_minor).where(
                    PaymentAllocation.payment_id == payment.id
                )
            )
        )
        .tuples()
        .all()
    )
    refunds = (
        await session.execute(
            select(Refund.bill_id, func.sum(Refund.amount_minor))
            .where(Refund.payment_id == payment.id)
            .group_by(Refund.bill_id)
        )
    ).all()
    refunded_by_bill = {r[0]: int(r[1]) for r in refunds}
    unallocated = payment.amount_minor - sum(allocations.values()) - refunded_by_bill.get(None, 0)
    periods = dict(
        (await session.execute(select(Bill.id, Bill.period).where(Bill.id.in_(list(allocations)))))
        .tuples()
        .all()
    )
    per_bill: dict[int, int] = {}
    for bill_id in sorted(allocations, key=lambda b: periods.get(b, ""), reverse=True):
        left = allocations[bill_id] - refunded_by_bill.get(bill_id, 0)
        if left > 0:
            per_bill[bill_id] = left
    return Refundable(
        total_minor=max(0, unallocated) + sum(per_bill.values()),
        unallocated_minor=max(0, unallocated),
        per_bill=per_bill,
    )


async def refund_payment(
    session: AsyncSession,
    community: Community,
    *,
    payment_id: int,
    amount_minor: int,
    reason: str,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
    now: datetime,
) -> list[Refund]:
    """Record money given back. The unallocated part (an overpayment) goes first,
    then the newest bills it paid, which reopen."""
    reason = reason.strip()
    if not reason:
        raise FeeError("reason_required")
    if amount_minor <= 0:
        raise FeeError("bad_amount")
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.community_id != community.id:
        raise FeeError("no_such_payment", payment_id=payment_id)
    bill_ids = (
        await session.scalars(
            select(PaymentAllocation.bill_id).where(PaymentAllocation.payment_id == payment.id)
        )
    ).all()
    await lock_rows(session, Bill, bill_ids)
    refundable = await payment_refundable(session, payment)
    if amount_minor > refundable.total_minor:
        raise FeeError("more_than_refundable", refundable_minor=refundable.total_minor)
    group = secrets.token_hex(8)
    rows: list[Refund] = []
    remaining = amount_minor
    parts: list[tuple[int | None, int]] = []
    if refundable.unallocated_minor > 0:
        take = min(remaining, refundable.unallocated_minor)
        parts.append((None, take))
        remaining -= take
    for bill_id, left in refundable.per_bill.items():
        if remaining <= 0:
            break
        take = min(remaining, left)
        parts.append((bill_id, take))
        remaining -= take
    for part_bill_id, take in parts:
        refund = Refund(
            group=group,
            community_id=community.id,
            payment_id=payment.id,
            bill_id=part_bill_id,
            amount_minor=take,
            reason=reason[:MAX_REASON],
            actor_person_id=actor_person_id,
            created_at=now,
        )
        session.add(refund)
        rows.append(refund)
    await session.flush()
    await refresh_bills(session, [b for b, _ in parts if b is not None], now=now)
    await record_audit(
        session,
        "fees.refund",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="payment",
        target_id=payment.id,
        details={
            "amount_minor": amount_minor,
            "group": group,
            "bills": {str(b): a for b, a in parts if b is not None},
            "reason": reason,
        },
    )
    return rows


async def adjust_bill(
    session: AsyncSession,
    community: Community,
    *,
    bill_id: int,
    amount_minor: int,
    reason: str,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
    now: datetime,
) -> Bill:
    """Charge more (+) or waive (−) on a bill, as a new entry with its reason."""
    reason = reason.strip()
    if not reason:
        raise FeeError("reason_required")
    if amount_minor == 0:
        raise FeeError("bad_amount")
    await lock_rows(session, Bill, [bill_id])
    bill = await session.get(Bill, bill_id, populate_existing=True)
    if bill is None or bill.community_id != community.id:
        raise FeeError("no_such_bill", bill_id=bill_id)
    if bill.amount_due_minor + amount_minor < 0:
        raise FeeError("below_zero", due_minor=bill.amount_due_minor)
    if amount_minor < 0 and bill.paid_minor > bill.amount_due_minor + amount_minor:
        # Waiving what was already paid would leave money nobody accounts for.
        raise FeeError("refund_instead", paid_minor=bill.paid_minor)
    session.add(
        BillAdjustment(
            community_id=community.id,
            bill_id=bill.id,
            kind=AdjustmentKind.MANUAL,
            amount_minor=amount_minor,
            reason=reason[:MAX_REASON],
            actor_person_id=actor_person_id,
            created_at=now,
        )
    )
    await session.flush()
    (bill,) = await refresh_bills(session, [bill.id], now=now)
    await record_audit(
        session,
        "fees.adjust",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="bill",
        target_id=bill.id,
        details={"amount_minor": amount_minor, "period": bill.period, "reason": reason},
    )
    return bill
