"""The community's accounts, open to every resident (at least every six months).

- Expenses: :func:`record_expense` (operating spending, maintenance-fund income
  and spending, each with a category and an optional receipt photo) and
  :func:`reverse_expense` (a correction is a reversing entry, never an edit).
- Statements: :func:`build_statement` computes, for a period, income by fee item
  (billed and collected), the collection rate, cash received, expenses by
  category, and the maintenance fund's opening balance, movements and closing
  balance. :func:`render_statement` turns it into a chat message, a PDF and a
  chart (PNG), in the reader's language.

Income by fee item: for bills of the period that are paid in full, every line is
collected as billed (summed in SQL); for partly paid bills the amount collected
is shared across the lines in proportion to their amounts with the
largest-remainder method, so the parts always add up to the exact total.
"""

from __future__ import annotations

import gettext
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.audit import record_audit
from core.fees.common import FeeError, Period
from core.fees.documents import chart_font_properties, render_pdf, render_template
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
from core.formatting import fmt_date, fmt_datetime, fmt_money
from core.models import Community

OPERATING_OUT = (
    "cleaning",
    "security",
    "greening",
    "repairs",
    "utilities",
    "staff",
    "admin",
    "insurance",
    "other",
)
FUND_IN = ("deposit", "interest", "common_income", "other")
FUND_OUT = ("elevator", "roof", "pipes", "fire", "facade", "repairs", "other")

LATE_FEES = "__late_fees__"
ADJUSTMENTS = "__adjustments__"


def allowed_categories(fund: Fund, direction: Direction) -> tuple[str, ...]:
    if fund == Fund.OPERATING:
        return OPERATING_OUT if direction == Direction.OUT else ()
    return FUND_IN if direction == Direction.IN else FUND_OUT


async def record_expense(
    session: AsyncSession,
    community: Community,
    *,
    fund: Fund,
    direction: Direction,
    category: str,
    amount_minor: int,
    description: str,
    occurred_on: date,
    receipt_file_id: str | None,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
) -> Expense:
    if category not in allowed_categories(fund, direction):
        raise FeeError("bad_category", category=category)
    if amount_minor <= 0:
        raise FeeError("bad_amount")
    description = description.strip()
    if not description:
        raise FeeError("reason_required")
    expense = Expense(
        community_id=community.id,
        fund=fund,
        direction=direction,
        category=category,
        amount_minor=amount_minor,
        description=description[:500],
        occurred_on=occurred_on,
        receipt_file_id=receipt_file_id,
        recorded_by_person_id=actor_person_id,
    )
    session.add(expense)
    await session.flush()
    await record_audit(
        session,
        "fees.expense",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="expense",
        target_id=expense.id,
        details={
            "fund": fund.value,
            "direction": direction.value,
            "category": category,
            "amount_minor": amount_minor,
            "description": description,
            "receipt": bool(receipt_file_id),
        },
    )
    return expense


async def reverse_expense(
    session: AsyncSession,
    community: Community,
    *,
    expense_id: int,
    reason: str,
    occurred_on: date,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
) -> Expense:
    reason = reason.strip()
    if not reason:
        raise FeeError("reason_required")
    original = await session.get(Expense, expense_id)
    if original is None or original.community_id != community.id or original.amount_minor < 0:
        raise FeeError("no_such_expense", expense_id=expense_id)
    already = await session.scalar(
        select(func.count()).select_from(Expense).where(Expense.reverses_id == expense_id)
    )
    if already:
        raise FeeError("already_reversed", expense_id=expense_id)
    reversal = Expense(
        community_id=community.id,
        fund=original.fund,
        direction=original.direction,
        category=original.category,
        amount_minor=-original.amount_minor,
        description=reason[:500],
        occurred_on=occurred_on,
        reverses_id=original.id,
        recorded_by_person_id=actor_person_id,
    )
    session.add(reversal)
    await session.flush()
    await record_audit(
        session,
        "fees.expense_reverse",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="expense",
        target_id=original.id,
        details={"reversal_id": reversal.id, "reason": reason},
    )
    return reversal


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
    data.income = sorted(
        (r for r in income.values() if r.billed_minor or r.collected_minor),
        key=lambda r: (r.name in (LATE_FEES, ADJUSTMENTS), -r.billed_minor, r.name),
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


# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedStatement:
    text: str
    pdf_html: str
    filename: str
    title: str
    chart_data: dict[str, object]

    def pdf(self) -> bytes | None:
        return render_pdf(self.pdf_html, title=self.title)

    def chart(self) -> bytes | None:
        return render_chart(self.chart_data)


def render_statement(
    data: StatementData, *, locale: str, translations: gettext.NullTranslations
) -> RenderedStatement:
    def money(minor: int) -> str:
        return fmt_money(minor, data.currency, locale)

    labels = category_labels(translations)
    _ = translations.gettext
    item_label = {LATE_FEES: _("Late fees"), ADJUSTMENTS: _("Adjustments")}
    income = [
        {
            "name": item_label.get(r.name, r.name),
            "billed": money(r.billed_minor),
            "collected": money(r.collected_minor),
        }
        for r in data.income
    ]
    context = {
        "d": data,
        "income": income,
        "billed": money(data.billed_minor),
        "collected": money(data.collected_minor),
        "rate": f"{data.collection_rate * 100:.1f}%",
        "received": money(data.received_minor),
        "received_by_method": [
            {"method": m, "amount": money(a)} for m, a in sorted(data.received_by_method.items())
        ],
        "refunded": money(data.refunded_minor) if data.refunded_minor else None,
        "expenses": [
            {"category": labels.get(c, c), "amount": money(a)}
            for c, a in sorted(data.expenses_by_category.items(), key=lambda kv: -kv[1])
        ],
        "expenses_total": money(data.expenses_minor),
        "fund_opening": money(data.fund_opening_minor),
        "fund_closing": money(data.fund_closing_minor),
        "fund_movements": [
            {
                "date": fmt_date(m.occurred_on, locale),
                "incoming": m.direction == Direction.IN.value,
                "category": labels.get(m.category, m.category),
                "description": m.description,
                "amount": money(m.amount_minor),
            }
            for m in data.fund_movements
        ],
        "start": fmt_date(data.start, locale),
        "end": fmt_date(data.last_day, locale),
        "as_of": fmt_datetime(data.as_of, data.timezone, locale),
    }
    text = render_template("statement.message.j2", translations, locale, **context)
    html = render_template("statement.pdf.j2", translations, locale, **context)
    chart_data: dict[str, object] = {
        "title": _("{community}: {start} – {end}").format(
            community=data.community_name, start=context["start"], end=context["end"]
        ),
        "income_title": _("Income by fee item"),
        "billed_label": _("Billed"),
        "collected_label": _("Collected"),
        "expenses_title": _("Expenses by category"),
        "income": [
            (item_label.get(r.name, r.name), r.billed_minor / 100, r.collected_minor / 100)
            for r in data.income
        ],
        "expenses": [
            (labels.get(c, c), a / 100)
            for c, a in sorted(data.expenses_by_category.items(), key=lambda kv: -kv[1])
        ],
        "currency": data.currency,
    }
    return RenderedStatement(
        text=text,
        pdf_html=html,
        filename=f"accounts-{data.start:%Y%m}-{data.last_day:%Y%m}.pdf",
        title=f"{data.community_name} {data.start:%Y-%m} – {data.last_day:%Y-%m}",
        chart_data=chart_data,
    )


def category_labels(translations: gettext.NullTranslations) -> dict[str, str]:
    _ = translations.gettext
    return {
        "cleaning": _("Cleaning"),
        "security": _("Security"),
        "greening": _("Greenery"),
        "repairs": _("Repairs and maintenance"),
        "utilities": _("Shared water and power"),
        "staff": _("Staff wages"),
        "admin": _("Office and administration"),
        "insurance": _("Insurance"),
        "other": _("Other"),
        "deposit": _("Fund deposits"),
        "interest": _("Interest"),
        "common_income": _("Income from shared property"),
        "elevator": _("Elevators"),
        "roof": _("Roofs and waterproofing"),
        "pipes": _("Pipes"),
        "fire": _("Fire safety"),
        "facade": _("Facades"),
    }


def render_chart(chart: dict[str, object]) -> bytes | None:
    """Two horizontal bar charts (income billed/collected, expenses) as a PNG."""
    from matplotlib.figure import Figure

    income = list(chart["income"])  # type: ignore[call-overload]
    expenses = list(chart["expenses"])  # type: ignore[call-overload]
    if not income and not expenses:
        return None
    font = chart_font_properties()
    fig = Figure(figsize=(8, 6.5), dpi=110)
    axes = fig.subplots(2, 1)
    kw = {"fontproperties": font} if font is not None else {}
    ax = axes[0]
    names = [str(n) for n, _, _ in income][::-1]
    billed = [float(b) for _, b, _ in income][::-1]
    collected = [float(c) for _, _, c in income][::-1]
    ys = list(range(len(names)))
    ax.barh([y + 0.2 for y in ys], billed, height=0.4, color="#9ecae1", label=chart["billed_label"])
    ax.barh(
        [y - 0.2 for y in ys],
        collected,
        height=0.4,
        color="#3182bd",
        label=chart["collected_label"],
    )
    ax.set_yticks(ys)
    ax.set_yticklabels(names, **kw)
    ax.set_title(str(chart["income_title"]), **kw)
    ax.legend(prop=font) if font is not None else ax.legend()
    ax2 = axes[1]
    enames = [str(n) for n, _ in expenses][::-1]
    evalues = [float(v) for _, v in expenses][::-1]
    ax2.barh(list(range(len(enames))), evalues, color="#e6550d")
    ax2.set_yticks(list(range(len(enames))))
    ax2.set_yticklabels(enames, **kw)
    ax2.set_title(str(chart["expenses_title"]), **kw)
    for a in (ax, ax2):
        a.set_xlabel(str(chart["currency"]))
        a.grid(axis="x", alpha=0.3)
    fig.suptitle(str(chart["title"]), **kw)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
