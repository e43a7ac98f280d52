"""The community's accounts, open to every resident (at least every six months).

- Expenses (here): :func:`record_expense` (operating spending, maintenance-fund
  income and spending, each with a category and an optional receipt photo) and
  :func:`reverse_expense` (a correction is a reversing entry, never an edit).
- Statements (:mod:`core.fees.statement`, re-exported here): :func:`build_statement`
  computes, for a period, income by fee item (billed and collected), the collection
  rate, cash received, expenses by category, and the maintenance fund's opening
  balance, movements and closing balance. :func:`render_statement`
  (:mod:`core.fees.statement_render`) turns it into a chat message, a PDF and a
  chart (PNG), in the reader's language.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.fees.common import FeeError
from core.fees.models import (
    Direction,
    Expense,
    Fund,
)
from core.fees.statement import (
    ADJUSTMENTS,
    LATE_FEES,
    FundMovement,
    IncomeRow,
    StatementData,
    apportion,
    build_statement,
    half_year_bounds,
)
from core.fees.statement_render import (
    RenderedStatement,
    category_labels,
    render_chart,
    render_statement,
)
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


__all__ = [
    "ADJUSTMENTS",
    "FUND_IN",
    "FUND_OUT",
    "LATE_FEES",
    "OPERATING_OUT",
    "FundMovement",
    "IncomeRow",
    "RenderedStatement",
    "StatementData",
    "allowed_categories",
    "apportion",
    "build_statement",
    "category_labels",
    "half_year_bounds",
    "record_expense",
    "render_chart",
    "render_statement",
    "reverse_expense",
]
