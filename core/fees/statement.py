"""The community's statement for a period: :func:`build_statement` computes income by
fee item (billed and collected), the collection rate, cash received, expenses by
category, and the maintenance fund's opening balance, movements and closing balance.

Income by fee item: for bills of the period that are paid in full, every line is
collected as billed (summed in SQL); for partly paid bills the amount collected
is shared across the lines in proportion to their amounts with the
largest-remainder method (:func:`apportion`), so the parts always add up to the
exact total."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.fees.common import Period
from core.fees.models import (
    AdjustmentKind,
    Bill,
    BillAdjustment,
    BillLine,
    BillStatus,
    Direction,
    Expense,
    Fund,
    Payment,
    PaymentMethod,
    Refund,
)
from core.models import Community

LATE_FEES = "__late_fees__"
ADJUSTMENTS = "__adjustments__"
# Temporary parking (access.vehicles.parking): a Telegram payment of no fee invoice,
# noted ``parking:<stay id>``; its own income row, billed as collected, net of refunds.
PARKING = "__parking__"
PARKING_NOTE = "parking:"


def is_parking_payment() -> tuple[ColumnElement[bool], ...]:
    """Where-clauses picking temporary-parking payments out of the ledger."""
    return (
        Payment.method == PaymentMethod.TELEGRAM,
        Payment.invoice_id.is_(None),
        Payment.note.startswith(PARKING_NOTE),
    )


# --- periods ----------------------------------------------------------------------------


def half_year_bounds(today: date, *, previous: bool = False) -> tuple[date, date]:
    """[start, end) of the half-year containing ``today`` (or the one before)."""
    start = date(today.year, 1 if today.month <= 6 else 7, 1)
    if previous:
        start = date(start.year - 1, 7, 1) if start.month == 1 else date(start.year, 1, 1)
    end = date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)
    return start, end


def _utc(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(UTC)


# --- the statement ------------------------------------------------------------------------


@dataclass
class IncomeRow:
    name: str
    billed_minor: int = 0
    collected_minor: int = 0


@dataclass
class FundMovement:
    occurred_on: date
    direction: str
    category: str
    description: str
    amount_minor: int


@dataclass
class StatementData:
    community_name: str
    currency: str
    timezone: str
    start: date
    end: date  # exclusive
    as_of: datetime
    income: list[IncomeRow] = field(default_factory=list)
    billed_minor: int = 0
    collected_minor: int = 0
    bills: int = 0
    bills_paid: int = 0
    received_by_method: dict[str, int] = field(default_factory=dict)
    refunded_minor: int = 0
    expenses_by_category: dict[str, int] = field(default_factory=dict)
    expenses_minor: int = 0
    fund_opening_minor: int = 0
    fund_movements: list[FundMovement] = field(default_factory=list)
    fund_closing_minor: int = 0

    @property
    def collection_rate(self) -> float:
        return self.collected_minor / self.billed_minor if self.billed_minor else 0.0

    @property
    def received_minor(self) -> int:
        return sum(self.received_by_method.values()) - self.refunded_minor

    @property
    def last_day(self) -> date:
        from datetime import timedelta

        return self.end - timedelta(days=1)


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the parts add up exactly."""
    positive = [max(0, w) for w in weights]
    whole = sum(positive)
    if whole <= 0 or total == 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in positive]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * positive[i] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _periods_between(start: date, end: date) -> tuple[str, str]:
    """Bill periods ``YYYY-MM`` in [start, end) as an inclusive string range."""
    return str(Period.of(start)), str(Period.of(end).shift(-1))


async def build_statement(
    session: AsyncSession, community: Community, start: date, end: date, *, as_of: datetime
) -> StatementData:
    data = StatementData(
        community_name=community.name,
        currency=community.currency,
        timezone=community.timezone,
        start=start,
        end=end,
        as_of=as_of,
    )
    first, last = _periods_between(start, end)
    in_window = (
        Bill.community_id == community.id,
        Bill.period >= first,
        Bill.period <= last,
    )
    income: dict[str, IncomeRow] = {}

    def row(name: str) -> IncomeRow:
        return income.setdefault(name, IncomeRow(name))

    billed_lines = await session.execute(
        select(BillLine.name, func.sum(BillLine.amount_minor))
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(*in_window)
        .group_by(BillLine.name)
    )
    for name, amount in billed_lines:
        row(name).billed_minor += int(amount)
    paid_lines = await session.execute(
        select(BillLine.name, func.sum(BillLine.amount_minor))
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(*in_window, Bill.status == BillStatus.PAID)
        .group_by(BillLine.name)
    )
    for name, amount in paid_lines:
        row(name).collected_minor += int(amount)
    adjustments = await session.execute(
        select(BillAdjustment.kind, Bill.status, func.sum(BillAdjustment.amount_minor))
        .join(Bill, Bill.id == BillAdjustment.bill_id)
        .where(*in_window)
        .group_by(BillAdjustment.kind, Bill.status)
    )
    for kind, status, amount in adjustments:
        key = LATE_FEES if kind == AdjustmentKind.LATE_FEE else ADJUSTMENTS
        row(key).billed_minor += int(amount)
        if status == BillStatus.PAID:
            row(key).collected_minor += int(amount)
    # Partly paid bills: share what was collected across their lines.
    partial = (
        await session.scalars(
            select(Bill)
            .where(*in_window, Bill.status == BillStatus.OPEN, Bill.paid_minor > 0)
            .options(selectinload(Bill.lines))
        )
    ).all()
    if partial:
        partial_adjustments: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for bill_id, kind, amount in await session.execute(
            select(BillAdjustment.bill_id, BillAdjustment.kind, BillAdjustment.amount_minor).where(
                BillAdjustment.bill_id.in_([b.id for b in partial])
            )
        ):
            key = LATE_FEES if kind == AdjustmentKind.LATE_FEE else ADJUSTMENTS
            partial_adjustments[bill_id].append((key, int(amount)))
        for bill in partial:
            parts = [(line.name, line.amount_minor) for line in bill.lines]
            parts += partial_adjustments.get(bill.id, [])
            collected = min(bill.paid_minor, bill.amount_due_minor)
            for (name, _), share in zip(
                parts, apportion(collected, [w for _, w in parts]), strict=True
            ):
                row(name).collected_minor += share
    parking = await _parking_income(session, community, start, end, as_of)
    if parking:
        row(PARKING).billed_minor += parking
        row(PARKING).collected_minor += parking
    data.income = sorted(
        (r for r in income.values() if r.billed_minor or r.collected_minor),
        key=lambda r: (r.name in (LATE_FEES, ADJUSTMENTS, PARKING), -r.billed_minor, r.name),
    )
    data.billed_minor = sum(r.billed_minor for r in data.income)
    data.collected_minor = sum(r.collected_minor for r in data.income)
    counts = (
        await session.execute(
            select(Bill.status, func.count()).where(*in_window).group_by(Bill.status)
        )
    ).all()
    data.bills = sum(int(c) for _, c in counts)
    data.bills_paid = sum(int(c) for s, c in counts if s == BillStatus.PAID)

    t0, t1 = _utc(start, community.timezone), _utc(end, community.timezone)
    for method, amount in await session.execute(
        select(Payment.method, func.sum(Payment.amount_minor))
        .where(
            Payment.community_id == community.id,
            Payment.received_at >= t0,
            Payment.received_at < t1,
            Payment.received_at <= as_of,
        )
        .group_by(Payment.method)
    ):
        data.received_by_method[PaymentMethod(method).value] = int(amount)
    data.refunded_minor = int(
        await session.scalar(
            select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
                Refund.community_id == community.id,
                Refund.created_at >= t0,
                Refund.created_at < t1,
                Refund.created_at <= as_of,
            )
        )
        or 0
    )
    for category, amount in await session.execute(
        select(Expense.category, func.sum(Expense.amount_minor))
        .where(
            Expense.community_id == community.id,
            Expense.fund == Fund.OPERATING,
            Expense.direction == Direction.OUT,
            Expense.occurred_on >= start,
            Expense.occurred_on < end,
        )
        .group_by(Expense.category)
    ):
        if int(amount):
            data.expenses_by_category[category] = int(amount)
    data.expenses_minor = sum(data.expenses_by_category.values())

    fund_in_before = await session.scalar(
        select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(
            Expense.community_id == community.id,
            Expense.fund == Fund.MAINTENANCE,
            Expense.direction == Direction.IN,
            Expense.occurred_on < start,
        )
    )
    fund_out_before = await session.scalar(
        select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(
            Expense.community_id == community.id,
            Expense.fund == Fund.MAINTENANCE,
            Expense.direction == Direction.OUT,
            Expense.occurred_on < start,
        )
    )
    data.fund_opening_minor = int(fund_in_before or 0) - int(fund_out_before or 0)
    movements = (
        await session.scalars(
            select(Expense)
            .where(
                Expense.community_id == community.id,
                Expense.fund == Fund.MAINTENANCE,
                Expense.occurred_on >= start,
                Expense.occurred_on < end,
            )
            .order_by(Expense.occurred_on, Expense.id)
        )
    ).all()
    balance = data.fund_opening_minor
    for m in movements:
        data.fund_movements.append(
            FundMovement(
                occurred_on=m.occurred_on,
                direction=m.direction.value,
                category=m.category,
                description=m.description,
                amount_minor=m.amount_minor,
            )
        )
        balance += m.amount_minor if m.direction == Direction.IN else -m.amount_minor
    data.fund_closing_minor = balance
    return data


async def _parking_income(
    session: AsyncSession, community: Community, start: date, end: date, as_of: datetime
) -> int:
    """Temporary parking received in [start, end), less what was refunded of it."""
    t0, t1 = _utc(start, community.timezone), _utc(end, community.timezone)
    received = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.community_id == community.id,
            *is_parking_payment(),
            Payment.received_at >= t0,
            Payment.received_at < t1,
            Payment.received_at <= as_of,
        )
    )
    refunded = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_minor), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Refund.community_id == community.id,
            *is_parking_payment(),
            Refund.created_at >= t0,
            Refund.created_at < t1,
            Refund.created_at <= as_of,
        )
    )
    return int(received or 0) - int(refunded or 0)
