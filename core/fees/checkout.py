"""Telegram's pre-checkout query (step 2 of :mod:`core.fees.payments`): the invoice
payload, the read-only checks and the *checkout hold* that keeps two residents of
one flat from paying the same bill at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import core_connection
from core.fees.common import FeeError
from core.fees.models import (
    Bill,
    BillStatus,
    CheckoutHold,
    FeeInvoice,
    FeeInvoiceBill,
    Payment,
)

PAYLOAD_PREFIX = "fees"
HOLD = timedelta(minutes=10)


class CheckoutRefused(FeeError):
    """The pre-checkout query must be refused; ``code`` is the reason:
    ``unknown_invoice``, ``amount_changed``, ``already_paid``, ``in_progress``."""


def invoice_payload(invoice: FeeInvoice) -> str:
    return f"{PAYLOAD_PREFIX}:{invoice.id}:{invoice.token}"


def parse_payload(payload: str) -> tuple[int, str] | None:
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != PAYLOAD_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


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


async def paid_with(session: AsyncSession, payload: str) -> bool:
    """Whether this very invoice was paid already (a second tap on its Pay button),
    as opposed to its bills being settled some other way."""
    parsed = parse_payload(payload)
    if parsed is None:
        return False
    found = await session.scalar(select(Payment.id).where(Payment.invoice_id == parsed[0]).limit(1))
    return found is not None


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
