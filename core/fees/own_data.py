"""A person's fee data for their /privacy export (payments are kept after an
erasure: accounting law, decision 0013)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.fees.models import (
    Bill,
    FeeInvoice,
    FeeOutbox,
    FeeStatement,
    Payment,
    PaymentAllocation,
    Refund,
)
from core.models import (
    Building,
    Community,
    Unit,
)
from core.privacy import export_time


async def personal_fee_data(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """The person's payments and what was sent to them about money, for /privacy.

    ``payments``: those they made (paid in chat), each with the bills it settled,
    any refunds of it and Telegram's and the provider's charge ids. Amounts are
    integer minor units with their currency. ``invoices``: the invoices they asked
    for (the invoice token is left out). ``sent_to_me``: receipts and statements
    addressed to them — a receipt may be for a payment staff recorded for their
    home (cash, bank transfer), which is then described in it. Payments are kept
    after an erasure: accounting law (decision 0013).
    """
    label = (Building.name + "-" + Unit.number).label("unit")
    payments = (
        await session.execute(
            select(Payment, Community.name, label)
            .join(Community, Community.id == Payment.community_id)
            .join(Unit, Unit.id == Payment.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Payment.payer_person_id == person_id)
            .order_by(Payment.received_at, Payment.id)
        )
    ).all()
    paid_ids = [p.id for p, *_ in payments]
    settled: dict[int, list[dict[str, Any]]] = {}
    refunds: dict[int, list[dict[str, Any]]] = {}
    if paid_ids:
        for payment_id, period, amount in (
            await session.execute(
                select(PaymentAllocation.payment_id, Bill.period, PaymentAllocation.amount_minor)
                .join(Bill, Bill.id == PaymentAllocation.bill_id)
                .where(PaymentAllocation.payment_id.in_(paid_ids))
                .order_by(PaymentAllocation.id)
            )
        ).all():
            settled.setdefault(payment_id, []).append(
                {"bill_period": period, "amount_minor": amount}
            )
        for refund, period in (
            await session.execute(
                select(Refund, Bill.period)
                .outerjoin(Bill, Bill.id == Refund.bill_id)
                .where(Refund.payment_id.in_(paid_ids))
                .order_by(Refund.id)
            )
        ).all():
            refunds.setdefault(refund.payment_id, []).append(
                {
                    "at": export_time(refund.created_at),
                    "amount_minor": refund.amount_minor,
                    "bill_period": period,
                    "reason": refund.reason,
                }
            )
    invoices = (
        await session.execute(
            select(FeeInvoice, Community.name, label)
            .join(Community, Community.id == FeeInvoice.community_id)
            .join(Unit, Unit.id == FeeInvoice.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(FeeInvoice.person_id == person_id)
            .order_by(FeeInvoice.created_at, FeeInvoice.id)
            .options(selectinload(FeeInvoice.bills))
        )
    ).all()
    invoice_bills = {b.bill_id for inv, *_ in invoices for b in inv.bills}
    periods: dict[int, str] = {}
    if invoice_bills:
        rows = await session.execute(select(Bill.id, Bill.period).where(Bill.id.in_(invoice_bills)))
        periods = {bill_id: period for bill_id, period in rows.all()}
    paid_invoices = {p.invoice_id for p, *_ in payments if p.invoice_id is not None}
    sent = (
        await session.scalars(
            select(FeeOutbox)
            .where(FeeOutbox.person_id == person_id)
            .order_by(FeeOutbox.created_at, FeeOutbox.id)
        )
    ).all()
    about_payment = {m.payload.get("payment_id") for m in sent} - {None}
    receipts = {
        p.id: {
            "received_at": export_time(p.received_at),
            "community": community,
            "unit": unit,
            "amount_minor": p.amount_minor,
            "currency": p.currency,
            "method": p.method.value,
        }
        for p, community, unit in (
            await session.execute(
                select(Payment, Community.name, label)
                .join(Community, Community.id == Payment.community_id)
                .join(Unit, Unit.id == Payment.unit_id)
                .join(Building, Building.id == Unit.building_id)
                .where(Payment.id.in_(list(about_payment)))
            )
        ).all()
    }
    about_statement = {m.payload.get("statement_id") for m in sent} - {None}
    statements = {
        st.id: {
            "period_start": st.period_start.isoformat(),
            "period_end": st.period_end.isoformat(),
        }
        for st in (
            await session.scalars(
                select(FeeStatement).where(FeeStatement.id.in_(list(about_statement)))
            )
        ).all()
    }

    def message(m: FeeOutbox) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": m.kind,
            "queued_at": export_time(m.created_at),
            "status": m.status.value,
            "sent_at": export_time(m.sent_at),
        }
        if m.payload.get("payment_id") in receipts:
            out["payment"] = receipts[m.payload["payment_id"]]
        if m.payload.get("statement_id") in statements:
            out["statement"] = statements[m.payload["statement_id"]]
        return out

    return {
        "payments": [
            {
                "received_at": export_time(p.received_at),
                "community": community,
                "unit": unit,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "method": p.method.value,
                "telegram_payment_charge_id": p.telegram_payment_charge_id,
                "provider_payment_charge_id": p.provider_payment_charge_id,
                "note": p.note,
                "settled_bills": settled.get(p.id, []),
                "refunds": refunds.get(p.id, []),
            }
            for p, community, unit in payments
        ],
        "invoices": [
            {
                "created_at": export_time(inv.created_at),
                "community": community,
                "unit": unit,
                "amount_minor": inv.amount_minor,
                "currency": inv.currency,
                "purpose": inv.purpose,
                "bill_periods": [periods.get(b.bill_id) for b in inv.bills],
                "paid": inv.id in paid_invoices,
            }
            for inv, community, unit in invoices
        ],
        "sent_to_me": [message(m) for m in sent],
    }
