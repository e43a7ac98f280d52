"""Fee tables of the chat side: what an invoice asked for and the checkout holds
(Telegram Payments), the must-deliver outbox, the reminders sent and the statements
published. Part of :mod:`core.fees.models`, which re-exports them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # the recipient cannot be reached (blocked bot …); staff are told


# --- paying in chat -------------------------------------------------------------------------


class FeeInvoice(Base):
    """What one ``sendInvoice`` asked for: these bills, this amount. The invoice
    payload names it, so the pre-checkout query can be checked against it."""

    __tablename__ = "fee_invoices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    token: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(16), default="bills")  # bills | reminder
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checkout_at: Mapped[datetime | None]

    bills: Mapped[list[FeeInvoiceBill]] = relationship(order_by="FeeInvoiceBill.bill_id")


class FeeInvoiceBill(Base):
    __tablename__ = "fee_invoice_bills"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("fee_invoices.id"), primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class CheckoutHold(Base):
    """A bill whose checkout was approved a moment ago: another invoice for the
    same bill is refused until the hold expires or the payment arrives, so two
    residents of one flat cannot both pay it."""

    __tablename__ = "fee_checkout_holds"

    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("fee_invoices.id"))
    expires_at: Mapped[datetime]


# --- must-deliver messages, reminders, statements ------------------------------------------


class FeeOutbox(Base):
    """A message that must reach someone (a receipt, a statement …). Written in the
    transaction that makes it necessary; delivered and retried until sent."""

    __tablename__ = "fee_outbox"
    __table_args__ = (Index("ix_fee_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # One message per (what, whom): enqueueing twice does nothing.
    dedupe_key: Mapped[str] = mapped_column(String(96), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    # Parts already delivered (message, document …), so a retry resumes after them.
    step: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class FeeReminder(Base):
    __tablename__ = "fee_reminders"
    __table_args__ = (Index("ix_fee_reminders_bill_at", "bill_id", "sent_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"))
    kind: Mapped[str] = mapped_column(String(16))  # before_due | overdue
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeeStatement(Base):
    """A published statement of accounts for a period (half-year or on demand)."""

    __tablename__ = "fee_statements"
    __table_args__ = (UniqueConstraint("community_id", "period_start", "period_end", "trigger"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | staff
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
