"""The payment ledger: payments and how they settle bills, refunds, adjustments.

Every function here adds entries; none edits one (the tables are append-only in
the database too). A bill's summary columns are recomputed from the entries by
:func:`refresh_bills` in the same transaction, after the rows were locked with
:func:`core.fees.common.lock_rows`, so concurrent writers cannot both settle
the same bill.

Public API: :func:`record_payment` (the one way money comes in, online or
offline), :func:`record_offline_payment`, :func:`refund_payment`,
:func:`adjust_bill`, :func:`refresh_bills`, :func:`payment_refundable`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.fees.common import FeeError, lock_rows
from core.fees.models import (
    AdjustmentKind,
    Bill,
    BillAdjustment,
    BillStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Refund,
)
from core.models import Community

MAX_REASON = 500


@dataclass
class PaymentResult:
    payment: Payment
    created: bool
    allocations: dict[int, int] = field(default_factory=dict)  # bill id → minor units
    surplus_minor: int = 0
    outbox_ids: list[int] = field(default_factory=list)  # messages enqueued with it


def _insert_fn(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def refresh_bills(
    session: AsyncSession, bill_ids: Sequence[int], *, now: datetime
) -> list[Bill]:
    """Recompute each bill's due amount, net paid amount and status from the ledger."""
    ids = sorted(set(bill_ids))
    if not ids:
        return []
    adjustments = dict(
        (
            await session.execute(
                select(BillAdjustment.bill_id, func.sum(BillAdjustment.amount_minor))
                .where(BillAdjustment.bill_id.in_(ids))
                .group_by(BillAdjustment.bill_id)
            )
        )
        .tuples()
        .all()
    )
    allocated = dict(
        (
            await session.execute(
                select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.amount_minor))
                .where(PaymentAllocation.bill_id.in_(ids))
                .group_by(PaymentAllocation.bill_id)
            )
        )
        .tuples()
        .all()
    )
    refunded = dict(
        (
            await session.execute(
                select(Refund.bill_id, func.sum(Refund.amount_minor))
                .where(Refund.bill_id.in_(ids))
                .group_by(Refund.bill_id)
            )
        )
        .tuples()
        .all()
    )
    bills = (
        await session.scalars(
            select(Bill).where(Bill.id.in_(ids)).execution_options(populate_existing=True)
        )
    ).all()
    for bill in bills:
        due = bill.total_minor + int(adjustments.get(bill.id) or 0)
        paid = int(allocated.get(bill.id) or 0) - int(refunded.get(bill.id) or 0)
        bill.amount_due_minor = due
        bill.paid_minor = paid
        if paid >= due:
            if bill.status != BillStatus.PAID:
                bill.status = BillStatus.PAID
                bill.paid_at = now
        else:
            bill.status = BillStatus.OPEN
            bill.paid_at = None
    await session.flush()
    return list(bills)


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
