"""Paying in chat with Telegram Payments.

The flow, and what each step guarantees:

1. :func:`create_invoice` — the resident asks to pay one bill or everything due
   for a unit. A :class:`FeeInvoice` row records exactly which bills and how
   much; the invoice payload is ``fees:<invoice id>:<random token>`` (well under
   Telegram's 128 bytes, whatever the number of bills).
2. :func:`check_checkout` + :func:`hold_checkout` — Telegram's pre-checkout
   query. Three indexed reads: the invoice still matches the amount Telegram
   shows, no bill of it was paid (or changed) in the meantime, no other invoice
   for the same bill was approved in the last minutes; then one atomic upsert
   takes a *checkout hold* on the bills, so two residents of one flat cannot
   both pay the same bill.
3. :func:`record_successful_payment` — the ``successful_payment`` message. The
   payment row is unique on ``telegram_payment_charge_id`` and inserted with
   ``ON CONFLICT DO NOTHING``: a duplicate or concurrent delivery records nothing
   twice. The bills are settled and the receipt is enqueued in the outbox in the
   *same* transaction, so a crash can lose neither.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.fees.checkout import (
    HOLD,
    PAYLOAD_PREFIX,
    Checkout,
    CheckoutRefused,
    check_checkout,
    hold_checkout,
    invoice_payload,
    parse_payload,
    validate_checkout,
)
from core.fees.common import FeeError
from core.fees.ledger import PaymentResult, record_payment
from core.fees.models import (
    Bill,
    BillStatus,
    CheckoutHold,
    FeeInvoice,
    FeeInvoiceBill,
    Payment,
    PaymentMethod,
)
from core.fees.outbox import enqueue
from core.fees.own_data import personal_fee_data
from core.models import (
    Community,
    Person,
    Residency,
    ResidencyRole,
)
from core.residency import active_residency_clause

RECEIPT = "receipt"
STAFF_ALERT = "staff_alert"


@dataclass(frozen=True)
class InvoiceDraft:
    invoice: FeeInvoice
    bills: list[Bill]

    @property
    def payload(self) -> str:
        return invoice_payload(self.invoice)


async def create_invoice(
    session: AsyncSession,
    *,
    unit_id: int,
    person_id: int | None,
    now: datetime,
    bill_ids: list[int] | None = None,
    purpose: str = "bills",
    since: str | None = None,
) -> InvoiceDraft:
    """An invoice for the given open bills of the unit, or for everything due; only
    bills of ``since`` (a period, ``YYYY-MM``) on: those of the payer's time there."""
    query = select(Bill).where(Bill.unit_id == unit_id).order_by(Bill.period)
    if since is not None:
        query = query.where(Bill.period >= since)
    if bill_ids is not None:
        query = query.where(Bill.id.in_(bill_ids))
    else:
        query = query.where(Bill.status == BillStatus.OPEN)
    bills = [b for b in (await session.scalars(query)).all()]
    if bill_ids is not None and len(bills) != len(set(bill_ids)):
        raise FeeError("no_such_bill")
    if bill_ids is not None and any(
        b.status != BillStatus.OPEN or b.outstanding_minor <= 0 for b in bills
    ):
        raise FeeError("already_paid")
    bills = [b for b in bills if b.outstanding_minor > 0]
    if not bills:
        raise FeeError("nothing_due")
    currencies = {b.currency for b in bills}
    if len(currencies) != 1:
        raise FeeError("mixed_currencies")
    invoice = FeeInvoice(
        community_id=bills[0].community_id,
        unit_id=unit_id,
        person_id=person_id,
        token=secrets.token_urlsafe(9)[:12],
        amount_minor=sum(b.outstanding_minor for b in bills),
        currency=currencies.pop(),
        purpose=purpose,
        created_at=now,
    )
    session.add(invoice)
    await session.flush()
    session.add_all(
        FeeInvoiceBill(invoice_id=invoice.id, bill_id=b.id, amount_minor=b.outstanding_minor)
        for b in bills
    )
    await session.flush()
    return InvoiceDraft(invoice=invoice, bills=bills)


async def record_successful_payment(
    session: AsyncSession,
    *,
    payload: str,
    currency: str,
    total_amount: int,
    telegram_payment_charge_id: str,
    provider_payment_charge_id: str | None,
    payer_person_id: int | None,
    chat_id: int,
    now: datetime,
) -> PaymentResult:
    """Record a completed Telegram payment exactly once; enqueue its receipt.

    Raises ``FeeError("unknown_invoice")`` for a payload that is not ours (the
    caller logs it loudly: money arrived that we cannot attribute).
    """
    # Redeliveries are the common duplicate: answer them with one indexed read.
    # (The insert below is ON CONFLICT DO NOTHING, so a concurrent duplicate that
    # passes this check still records nothing twice.)
    existing = await session.scalar(
        select(Payment).where(Payment.telegram_payment_charge_id == telegram_payment_charge_id)
    )
    if existing is not None:
        return PaymentResult(payment=existing, created=False)
    parsed = parse_payload(payload)
    invoice = None
    if parsed is not None:
        invoice = await session.scalar(
            select(FeeInvoice)
            .where(FeeInvoice.id == parsed[0], FeeInvoice.token == parsed[1])
            .options(selectinload(FeeInvoice.bills))
        )
    if invoice is None:
        raise FeeError("unknown_invoice", payload=payload)
    result = await record_payment(
        session,
        community_id=invoice.community_id,
        unit_id=invoice.unit_id,
        method=PaymentMethod.TELEGRAM,
        amount_minor=total_amount,
        currency=currency,
        settle_bill_ids=[b.bill_id for b in invoice.bills],
        now=now,
        payer_person_id=payer_person_id,
        telegram_payment_charge_id=telegram_payment_charge_id,
        provider_payment_charge_id=provider_payment_charge_id,
        invoice_id=invoice.id,
    )
    if not result.created:
        return result
    payment = result.payment
    await session.execute(
        delete(CheckoutHold).where(CheckoutHold.bill_id.in_([b.bill_id for b in invoice.bills]))
    )
    receipt_id = await enqueue(
        session,
        kind=RECEIPT,
        community_id=invoice.community_id,
        person_id=payer_person_id,
        chat_id=chat_id,
        dedupe_key=f"receipt:{payment.id}:{chat_id}",
        payload={"payment_id": payment.id},
        now=now,
    )
    if receipt_id is not None:
        result.outbox_ids.append(receipt_id)
    if result.surplus_minor > 0:
        # Paid for bills someone settled meanwhile: staff must refund by hand.
        community = await session.get(Community, invoice.community_id)
        if community is not None and community.admin_chat_id is not None:
            alert_id = await enqueue(
                session,
                kind=STAFF_ALERT,
                community_id=community.id,
                chat_id=community.admin_chat_id,
                dedupe_key=f"overpaid:{payment.id}",
                payload={
                    "alert": "overpaid",
                    "payment_id": payment.id,
                    "surplus_minor": result.surplus_minor,
                },
                now=now,
            )
            if alert_id is not None:
                result.outbox_ids.append(alert_id)
    return result


async def unit_payers(session: AsyncSession, unit_id: int, today: date) -> list[Person]:
    """Active owners and tenants of a unit who can be messaged (not family members)."""
    rows = await session.scalars(
        select(Person)
        .join(Residency, Residency.person_id == Person.id)
        .where(
            active_residency_clause(today, unit_id=unit_id),
            Residency.role.in_([ResidencyRole.OWNER, ResidencyRole.TENANT]),
            Person.telegram_id.is_not(None),
        )
        .order_by(Person.id)
    )
    return list(dict.fromkeys(rows.all()))


async def enqueue_offline_receipts(
    session: AsyncSession, *, payment_id: int, unit_id: int, community_id: int, now: datetime
) -> int:
    """Tell the unit's owners and tenants that staff recorded their payment."""
    count = 0
    for person in await unit_payers(session, unit_id, now.date()):
        assert person.telegram_id is not None
        queued = await enqueue(
            session,
            kind=RECEIPT,
            community_id=community_id,
            person_id=person.id,
            chat_id=person.telegram_id,
            dedupe_key=f"receipt:{payment_id}:{person.telegram_id}",
            payload={"payment_id": payment_id},
            now=now,
        )
        count += queued is not None
    return count


# --- a person's own data ----------------------------------------------------------------


__all__ = [
    "HOLD",
    "PAYLOAD_PREFIX",
    "RECEIPT",
    "STAFF_ALERT",
    "Checkout",
    "CheckoutRefused",
    "InvoiceDraft",
    "check_checkout",
    "create_invoice",
    "enqueue_offline_receipts",
    "hold_checkout",
    "invoice_payload",
    "parse_payload",
    "personal_fee_data",
    "record_successful_payment",
    "unit_payers",
    "validate_checkout",
]
