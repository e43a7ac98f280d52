"""A bill's summary columns (amount due, net paid, status) recomputed from the ledger's
entries, in the writer's transaction and after its rows were locked
(:func:`core.fees.common.lock_rows`), so concurrent writers cannot both settle a bill."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.models import (
    Bill,
    BillAdjustment,
    BillStatus,
    PaymentAllocation,
    Refund,
)


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
