"""Receipts: what a payment settled, as a chat message and a PDF document.

:func:`load_receipt` gathers the facts from the ledger (immutable once written,
so a receipt rendered again after a restart says exactly the same);
:func:`render_receipt` renders ``templates/fees/receipt.message.j2`` and
``receipt.pdf.j2`` in the reader's language.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.fees.documents import render_pdf, render_template
from core.fees.models import (
    AdjustmentKind,
    Bill,
    BillAdjustment,
    FeeKind,
    Payment,
    PaymentAllocation,
)
from core.formatting import fmt_datetime, fmt_money
from core.identity import unit_label
from core.models import Community, Person


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    kind: str
    quantity: Decimal
    rate_minor: int
    months: int
    amount_minor: int


@dataclass(frozen=True)
class ReceiptAdjustment:
    kind: str
    reason: str
    amount_minor: int


@dataclass
class ReceiptBill:
    period: str
    due_minor: int
    paid_now_minor: int
    lines: list[ReceiptLine] = field(default_factory=list)
    adjustments: list[ReceiptAdjustment] = field(default_factory=list)


@dataclass
class ReceiptData:
    payment_id: int
    community_name: str
    community_address: str
    currency: str
    timezone: str
    unit_label: str
    method: str
    amount_minor: int
    received_at: datetime
    telegram_charge_id: str | None
    provider_charge_id: str | None
    payer_name: str
    note: str
    bills: list[ReceiptBill]
    surplus_minor: int


@dataclass(frozen=True)
class RenderedDocument:
    text: str
    pdf_html: str
    filename: str
    title: str

    def pdf(self) -> bytes | None:
        """The PDF (CPU-bound: run in a worker thread); None without a CJK font."""
        return render_pdf(self.pdf_html, title=self.title)


async def load_receipt(session: AsyncSession, payment_id: int) -> ReceiptData | None:
    payment = await session.get(Payment, payment_id)
    if payment is None:
        return None
    community = await session.get(Community, payment.community_id)
    assert community is not None
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
    bills = (
        await session.scalars(
            select(Bill)
            .where(Bill.id.in_(list(allocations)))
            .order_by(Bill.period)
            .options(selectinload(Bill.lines))
        )
    ).all()
    adjustments = (
        await session.scalars(
            select(BillAdjustment)
            .where(
                BillAdjustment.bill_id.in_(list(allocations)),
                BillAdjustment.created_at <= payment.created_at,
            )
            .order_by(BillAdjustment.id)
        )
    ).all()
    payer = await session.get(Person, payment.payer_person_id) if payment.payer_person_id else None
    receipt_bills: list[ReceiptBill] = []
    for bill in bills:
        rb = ReceiptBill(
            period=bill.period,
            due_minor=bill.total_minor
            + sum(a.amount_minor for a in adjustments if a.bill_id == bill.id),
            paid_now_minor=int(allocations[bill.id]),
        )
        rb.lines = [
            ReceiptLine(
                name=line.name,
                kind=line.kind.value,
                quantity=line.quantity,
                rate_minor=line.rate_minor,
                months=line.months,
                amount_minor=line.amount_minor,
            )
            for line in bill.lines
        ]
        rb.adjustments = [
            ReceiptAdjustment(kind=a.kind.value, reason=a.reason, amount_minor=a.amount_minor)
            for a in adjustments
            if a.bill_id == bill.id
        ]
        receipt_bills.append(rb)
    return ReceiptData(
        payment_id=payment.id,
        community_name=community.name,
        community_address=community.address,
        currency=payment.currency,
        timezone=community.timezone,
        unit_label=await unit_label(session, payment.unit_id),
        method=payment.method.value,
        amount_minor=payment.amount_minor,
        received_at=payment.received_at,
        telegram_charge_id=payment.telegram_payment_charge_id,
        provider_charge_id=payment.provider_payment_charge_id,
        payer_name=payer.full_name if payer else "",
        note=payment.note,
        bills=receipt_bills,
        surplus_minor=payment.amount_minor - sum(b.paid_now_minor for b in receipt_bills),
    )


def _quantity(value: Decimal, kind: str) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else f"{value:.2f}"
    return f"{text} m²" if kind == FeeKind.PER_M2.value else text


def render_receipt(
    data: ReceiptData, *, locale: str, translations: gettext.NullTranslations
) -> RenderedDocument:
    def money(minor: int) -> str:
        return fmt_money(minor, data.currency, locale)

    bills = [
        {
            "period": b.period,
            "due": money(b.due_minor),
            "paid_now": money(b.paid_now_minor),
            "lines": [
                {
                    "name": line.name,
                    "kind": line.kind,
                    "quantity": _quantity(line.quantity, line.kind),
                    "rate": money(line.rate_minor),
                    "months": line.months,
                    "amount": money(line.amount_minor),
                }
                for line in b.lines
            ],
            "adjustments": [
                {
                    "late_fee": a.kind == AdjustmentKind.LATE_FEE.value,
                    "reason": a.reason,
                    "amount": money(a.amount_minor),
                }
                for a in b.adjustments
            ],
        }
        for b in data.bills
    ]
    context = {
        "r": data,
        "bills": bills,
        "amount": money(data.amount_minor),
        "surplus": money(data.surplus_minor) if data.surplus_minor > 0 else None,
        "received_at": fmt_datetime(data.received_at, data.timezone, locale),
        "periods": ", ".join(b.period for b in data.bills),
        "number": f"{data.payment_id:08d}",
    }
    text = render_template("receipt.message.j2", translations, locale, **context)
    html = render_template("receipt.pdf.j2", translations, locale, **context)
    return RenderedDocument(
        text=text,
        pdf_html=html,
        filename=f"receipt-{data.payment_id:08d}.pdf",
        title=f"{data.community_name} {data.unit_label} #{data.payment_id:08d}",
    )
