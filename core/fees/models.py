"""Fees: the schedule, bills, the payment ledger, invoices, the receipt outbox,
reminders and the community's published accounts.

Money is always an integer number of minor units (fen for CNY) in the
community's currency. The ledger — payments, their allocations to bills,
refunds, bill adjustments and expenses — is append-only (database triggers
refuse UPDATE and DELETE): a correction is a new entry, never an edit. A bill's
``amount_due_minor`` / ``paid_minor`` / ``status`` are a summary recomputed from
those entries in the same transaction that adds one (see
:func:`core.fees.ledger.refresh_bills`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow

# The chat side's tables (re-exported: every fees table is importable from here).
from core.fees.chat_models import (
    CheckoutHold,
    FeeInvoice,
    FeeInvoiceBill,
    FeeOutbox,
    FeeReminder,
    FeeStatement,
    OutboxStatus,
)
from core.privacy import on_personal_export

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class FeeKind(enum.StrEnum):
    PER_M2 = "per_m2"  # amount per m² of the unit's area per month
    FIXED = "fixed"  # amount per unit per month
    PARKING = "parking"  # amount per parking space per month


class FeeScope(enum.StrEnum):
    ALL = "all"
    BUILDINGS = "buildings"
    UNITS = "units"


class BillStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"


class PaymentMethod(enum.StrEnum):
    TELEGRAM = "telegram"
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"


class AdjustmentKind(enum.StrEnum):
    MANUAL = "manual"
    LATE_FEE = "late_fee"


class Fund(enum.StrEnum):
    OPERATING = "operating"  # the property service fees
    MAINTENANCE = "maintenance"  # the owners' maintenance fund (专项维修资金)


class Direction(enum.StrEnum):
    OUT = "out"
    IN = "in"


# --- the schedule -------------------------------------------------------------------


class FeeItem(Base):
    """One line of the fee schedule. Changing an item means retiring it and adding
    a new one, so every bill keeps pointing at the terms it was computed with."""

    __tablename__ = "fee_items"
    __table_args__ = (Index("ix_fee_items_community_active", "community_id", "active"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[FeeKind] = mapped_column(str_enum(FeeKind))
    # Per m² per month, per unit per month or per parking space per month.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[FeeScope] = mapped_column(str_enum(FeeScope), default=FeeScope.ALL)
    # 1 = billed every month; 3 = every quarter (January, April …) for 3 months, …
    period_months: Mapped[int] = mapped_column(Integer, default=1)
    due_day: Mapped[int] = mapped_column(Integer, default=15)
    late_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    retired_at: Mapped[datetime | None]

    targets: Mapped[list[FeeItemTarget]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="FeeItemTarget.id"
    )


class FeeItemTarget(Base):
    """Which buildings or units an item applies to (scope BUILDINGS / UNITS);
    ``quantity`` is the number of parking spaces (or of fixed items) of a unit."""

    __tablename__ = "fee_item_targets"
    __table_args__ = (Index("ix_fee_item_targets_item", "fee_item_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id", ondelete="CASCADE"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)

    item: Mapped[FeeItem] = relationship(back_populates="targets")


# --- bills ---------------------------------------------------------------------------


class BillRun(Base):
    """One generation of a period's bills (scheduled job, CLI or staff)."""

    __tablename__ = "bill_runs"
    __table_args__ = (Index("ix_bill_runs_community_period", "community_id", "period"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    trigger: Mapped[str] = mapped_column(String(16))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    bills_created: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("unit_id", "period"),
        Index("ix_bills_community_period", "community_id", "period"),
        Index("ix_bills_status_due", "community_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(7))  # "2026-11"
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)  # the sum of the lines
    # Summary of the ledger (lines + adjustments; allocations − refunds).
    amount_due_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[BillStatus] = mapped_column(str_enum(BillStatus), default=BillStatus.OPEN)
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[BillLine]] = relationship(back_populates="bill", order_by="BillLine.id")

    @property
    def outstanding_minor(self) -> int:
        return max(0, self.amount_due_minor - self.paid_minor)


class BillLine(Base):
    __tablename__ = "bill_lines"
    __table_args__ = (Index("ix_bill_lines_bill", "bill_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"))
    fee_item_id: Mapped[int | None] = mapped_column(ForeignKey("fee_items.id"))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[FeeKind] = mapped_column(str_enum(FeeKind))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    rate_minor: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[int] = mapped_column(Integer, default=1)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    bill: Mapped[Bill] = relationship(back_populates="lines")


# --- the ledger (append-only) -------------------------------------------------------------


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_community_received", "community_id", "received_at"),
        Index("ix_payments_unit", "unit_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payer_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Telegram's id of the charge: the key that makes a payment count once.
    telegram_payment_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_charge_id: Mapped[str | None] = mapped_column(String(255))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("fee_invoices.id"))
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentAllocation(Base):
    """How much of a payment settled which bill."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        UniqueConstraint("payment_id", "bill_id"),
        Index("ix_payment_allocations_bill", "bill_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Refund(Base):
    """Money given back from a payment. One refund action may span several rows
    (same ``group``): the part that reopens each bill, and the unallocated part."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_payment", "payment_id"),
        Index("ix_refunds_bill", "bill_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BillAdjustment(Base):
    """A correction of what a bill asks for (signed: + charges more, − waives),
    or a late fee. ``key`` makes automatic entries idempotent."""

    __tablename__ = "bill_adjustments"
    __table_args__ = (Index("ix_bill_adjustments_bill", "bill_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"))
    kind: Mapped[AdjustmentKind] = mapped_column(str_enum(AdjustmentKind))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Expense(Base):
    """Money spent (or, for the maintenance fund, received) by the community,
    published in the accounts. A mistake is corrected by a reversing entry."""

    __tablename__ = "expenses"
    __table_args__ = (Index("ix_expenses_community_on", "community_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    fund: Mapped[Fund] = mapped_column(str_enum(Fund))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    category: Mapped[str] = mapped_column(String(32))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_on: Mapped[date] = mapped_column(Date)
    receipt_file_id: Mapped[str | None] = mapped_column(String(255))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"))
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


APPEND_ONLY_TABLES = (
    "payments",
    "payment_allocations",
    "refunds",
    "bill_adjustments",
    "expenses",
    "bill_lines",
)


# Registered with the tables, so that any process that imports them puts the person's
# payments in their /privacy export. No erasure hook: the ledger is kept (decision 0013).
@on_personal_export("fees")
async def _export_payments(session: AsyncSession, person_id: int) -> dict[str, Any]:
    from core.fees.own_data import personal_fee_data

    return await personal_fee_data(session, person_id)


__all__ = [
    "APPEND_ONLY_TABLES",
    "AdjustmentKind",
    "Bill",
    "BillAdjustment",
    "BillLine",
    "BillRun",
    "BillStatus",
    "CheckoutHold",
    "Direction",
    "Expense",
    "FeeInvoice",
    "FeeInvoiceBill",
    "FeeItem",
    "FeeItemTarget",
    "FeeKind",
    "FeeOutbox",
    "FeeReminder",
    "FeeScope",
    "FeeStatement",
    "Fund",
    "OutboxStatus",
    "Payment",
    "PaymentAllocation",
    "PaymentMethod",
    "Refund",
]
