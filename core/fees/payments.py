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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.db import core_connection
from core.fees.common import FeeError
from core.fees.ledger import PaymentResult, record_payment
from core.fees.models import (
    Bill,
    BillStatus,
    CheckoutHold,
    FeeInvoice,
    FeeInvoiceBill,
    FeeOutbox,
    FeeStatement,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Refund,
)
from core.fees.outbox import enqueue
from core.models import (
    Building,
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from core.privacy import export_time

PAYLOAD_PREFIX = "fees"
HOLD = timedelta(minutes=10)

RECEIPT = "receipt"
STAFF_ALERT = "staff_alert"


class CheckoutRefused(FeeError):
    """The pre-checkout query must be refused; ``code`` is the reason:
    ``unknown_invoice``, ``amount_changed``, ``already_paid``, ``in_progress``."""


@dataclass(frozen=True)
class InvoiceDraft:
    invoice: FeeInvoice
    bills: list[Bill]

    @property
    def payload(self) -> str:
        return invoice_payload(self.invoice)


def invoice_payload(invoice: FeeInvoice) -> str:
    return f"{PAYLOAD_PREFIX}:{invoice.id}:{invoice.token}"


def parse_payload(payload: str) -> tuple[int, str] | None:
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != PAYLOAD_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


async def create_invoice(
    session: AsyncSession,
    *,
    unit_id: int,
    person_id: int | None,
    now: datetime,
    bill_ids: list[int] | None = None,
    purpose: str = "bills",
) -> InvoiceDraft:
    """An invoice for the given open bills of the unit, or for everything due."""
    query = select(Bill).where(Bill.unit_id == unit_id).order_by(Bill.period)
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


@dataclass(frozen=True)
class Checkout:
    """A checkout that passed the read-only checks: the invoice and its bills."""

    invoice_id: int
    bills: dict[int, int]  # bill id → the amount the invoice asks for it


# The pre-checkout runs under Telegram's 10 s deadline and in bursts (a payday):
# its statements are built once (with their cache keys) and run as Core statements
# on the session's connection, without the ORM's per-statement bookkeeping.
_OTHER_HOLD = (
    select(CheckoutHold.bill_id)
    .where(
        CheckoutHold.bill_id == Bill.id,
        CheckoutHold.invoice_id != bindparam("invoice_id"),
        CheckoutHold.expires_at > bindparam("now"),
    )
    .exists()
)
_CHECKOUT_QUERY = (
    select(
        FeeInvoiceBill.bill_id,
        FeeInvoiceBill.amount_minor,
        Bill.status,
        Bill.amount_due_minor,
        Bill.paid_minor,
        FeeInvoice.amount_minor,
        FeeInvoice.currency,
        _OTHER_HOLD,
    )
    .join(FeeInvoice, FeeInvoice.id == FeeInvoiceBill.invoice_id)
    .join(Bill, Bill.id == FeeInvoiceBill.bill_id)
    .where(
        FeeInvoiceBill.invoice_id == bindparam("invoice_id"),
        FeeInvoice.token == bindparam("token"),
    )
)
_BILLS_QUERY = select(Bill.id, Bill.status, Bill.amount_due_minor, Bill.paid_minor).where(
    Bill.id.in_(bindparam("bill_ids", expanding=True))
)
_HOLD_STATEMENTS: dict[tuple[str, int], Any] = {}


def _hold_statement(dialect: str, bills: int) -> Any:
    """The upsert taking the holds of ``bills`` bills (built once per shape)."""
    stmt = _HOLD_STATEMENTS.get((dialect, bills))
    if stmt is None:
        insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert_fn(CheckoutHold).values(
            [
                {
                    "bill_id": bindparam(f"bill_{i}"),
                    "invoice_id": bindparam("invoice_id"),
                    "expires_at": bindparam("expires_at"),
                }
                for i in range(bills)
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[CheckoutHold.bill_id],
            set_={"invoice_id": stmt.excluded.invoice_id, "expires_at": stmt.excluded.expires_at},
            where=(CheckoutHold.expires_at <= bindparam("now"))
            | (CheckoutHold.invoice_id == stmt.excluded.invoice_id),
        ).returning(CheckoutHold.bill_id)
        _HOLD_STATEMENTS[(dialect, bills)] = stmt
    return stmt


async def check_checkout(
    session: AsyncSession,
    *,
    payload: str,
    currency: str,
    total_amount: int,
    now: datetime,
) -> Checkout:
    """The read-only part of a pre-checkout: one indexed read (invoice, its bills,
    their holds). Raises :class:`CheckoutRefused` with the reason."""
    parsed = parse_payload(payload)
    if parsed is None:
        raise CheckoutRefused("unknown_invoice")
    invoice_id, token = parsed
    connection = await core_connection(session)
    rows = (
        await connection.execute(
            _CHECKOUT_QUERY, {"invoice_id": invoice_id, "token": token, "now": now}
        )
    ).all()
    if not rows:
        raise CheckoutRefused("unknown_invoice")
    if currency != rows[0][6] or total_amount != rows[0][5]:
        raise CheckoutRefused("amount_changed")
    _check_bills([r[:5] for r in rows])
    held = next((r[0] for r in rows if r[7]), None)
    if held is not None:
        raise CheckoutRefused("in_progress", bill_id=held)
    return Checkout(invoice_id=invoice_id, bills={r[0]: r[1] for r in rows})


def _check_bills(rows: Sequence[Any]) -> None:
    for bill_id, wanted, status, due, paid in rows:
        outstanding = due - paid
        if status == BillStatus.PAID or outstanding <= 0:
            raise CheckoutRefused("already_paid", bill_id=bill_id)
        if outstanding != wanted:
            raise CheckoutRefused("amount_changed", bill_id=bill_id)


async def hold_checkout(session: AsyncSession, checkout: Checkout, *, now: datetime) -> None:
    """Take the checkout holds of an approved checkout: one atomic upsert.

    A hold of another invoice that has not expired is not overwritten, so of two
    concurrent checkouts of the same bill only one gets all its holds; the other
    is refused ("in_progress"). The bills are read again after the holds are
    taken, closing the gap to a payment committed in between. The caller
    commits before answering Telegram (and rolls back on refusal).
    """
    connection = await core_connection(session)
    bill_ids = list(checkout.bills)
    params: dict[str, Any] = {f"bill_{i}": bill_id for i, bill_id in enumerate(bill_ids)}
    params.update(invoice_id=checkout.invoice_id, expires_at=now + HOLD, now=now)
    stmt = _hold_statement(connection.dialect.name, len(bill_ids))
    taken = set((await connection.execute(stmt, params)).scalars().all())
    if taken != set(bill_ids):
        raise CheckoutRefused("in_progress")
    rows = (await connection.execute(_BILLS_QUERY, {"bill_ids": bill_ids})).all()
    _check_bills([(r[0], checkout.bills[r[0]], r[1], r[2], r[3]) for r in rows])


async def validate_checkout(
    session: AsyncSession,
    *,
    payload: str,
    currency: str,
    total_amount: int,
    now: datetime,
) -> Checkout:
    """Approve a checkout (checks, then holds) or raise :class:`CheckoutRefused`."""
    checkout = await check_checkout(
        session, payload=payload, currency=currency, total_amount=total_amount, now=now
    )
    await hold_checkout(session, checkout, now=now)
    return checkout


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
            Residency.unit_id == unit_id,
            Residency.status == ResidencyStatus.ACTIVE,
            Residency.role.in_([ResidencyRole.OWNER, ResidencyRole.TENANT]),
            or_(Residency.end_date.is_(None), Residency.end_date >= today),
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
