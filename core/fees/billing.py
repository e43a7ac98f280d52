"""Bills: one per unit and period, computed from the schedule, generated idempotently.

Public API:

- :func:`compute_lines` — what a unit owes for a period (exact: area × rate in
  :class:`~decimal.Decimal`, rounded half-up to minor units once per line).
- :func:`generate_bills` — create the period's missing bills. Bills are unique on
  (unit, period) and inserted with ``ON CONFLICT DO NOTHING``, so running it
  twice, or concurrently from the job and the CLI, creates nothing twice.
- :func:`apply_late_fees` — add each overdue bill's late fee once (a keyed
  adjustment entry).
- :func:`bills_of_units`, :func:`open_bills_of_unit` — for "My bills".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.audit import record_audit
from core.fees.bill_totals import refresh_bills
from core.fees.common import Period, fees_config, local_today, round_minor
from core.fees.models import (
    AdjustmentKind,
    Bill,
    BillAdjustment,
    BillLine,
    BillRun,
    BillStatus,
    FeeItem,
    FeeKind,
    FeeScope,
)
from core.fees.schedule import list_fee_items
from core.models import Community, Unit

_BATCH = 400


@dataclass(frozen=True)
class LineDraft:
    fee_item_id: int
    name: str
    kind: FeeKind
    quantity: Decimal
    rate_minor: int
    months: int
    amount_minor: int
    due_day: int


@dataclass
class GenerationResult:
    period: Period
    created: int = 0
    existing: int = 0
    without_fees: int = 0
    bill_ids: list[int] = field(default_factory=list)


def item_due_in(item: FeeItem, period: Period) -> bool:
    """Monthly items every month; an N-monthly item in months 1, 1+N, … of the year."""
    return (period.month - 1) % max(1, item.period_months) == 0


def compute_lines(unit: Unit, items: list[FeeItem], period: Period) -> list[LineDraft]:
    lines: list[LineDraft] = []
    for item in items:
        if not item.active or not item_due_in(item, period):
            continue
        quantity = _quantity(item, unit)
        if quantity is None or quantity <= 0:
            continue
        months = max(1, item.period_months)
        amount = round_minor(Decimal(item.amount_minor) * quantity * months)
        if amount <= 0:
            continue
        lines.append(
            LineDraft(
                fee_item_id=item.id,
                name=item.name,
                kind=item.kind,
                quantity=quantity,
                rate_minor=item.amount_minor,
                months=months,
                amount_minor=amount,
                due_day=item.due_day,
            )
        )
    return lines


def _quantity(item: FeeItem, unit: Unit) -> Decimal | None:
    """How many of the item's units this flat is charged (None: not applicable)."""
    count: int | None = None
    if item.scope == FeeScope.ALL:
        count = 1
    elif item.scope == FeeScope.BUILDINGS:
        if any(t.building_id == unit.building_id for t in item.targets):
            count = 1
    else:
        for t in item.targets:
            if t.unit_id == unit.id:
                count = t.quantity
    if count is None:
        return None
    if item.kind == FeeKind.PER_M2:
        return Decimal(unit.area_m2 or 0)
    return Decimal(count)


async def generate_bills(
    session: AsyncSession,
    community: Community,
    period: Period,
    *,
    now: datetime,
    trigger: str,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> GenerationResult:
    """Create the bills of ``period`` that do not exist yet, in the caller's transaction."""
    result = GenerationResult(period=period)
    items = await list_fee_items(session, community.id)
    units = (
        await session.scalars(
            select(Unit).where(Unit.community_id == community.id).order_by(Unit.id)
        )
    ).all()
    existing = set(
        (
            await session.scalars(
                select(Bill.unit_id).where(
                    Bill.community_id == community.id, Bill.period == str(period)
                )
            )
        ).all()
    )
    drafts: list[tuple[Unit, list[LineDraft]]] = []
    for unit in units:
        if unit.id in existing:
            result.existing += 1
            continue
        lines = compute_lines(unit, items, period)
        if not lines:
            result.without_fees += 1
            continue
        drafts.append((unit, lines))

    dialect = session.bind.dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    for start in range(0, len(drafts), _BATCH):
        chunk = drafts[start : start + _BATCH]
        rows = []
        for unit, lines in chunk:
            total = sum(line.amount_minor for line in lines)
            rows.append(
                {
                    "community_id": community.id,
                    "unit_id": unit.id,
                    "period": str(period),
                    "due_date": period.day(min(line.due_day for line in lines)),
                    "currency": community.currency,
                    "total_minor": total,
                    "amount_due_minor": total,
                    "paid_minor": 0,
                    "status": BillStatus.OPEN,
                    "created_at": now,
                }
            )
        stmt = (
            insert_fn(Bill)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["unit_id", "period"])
            .returning(Bill.id, Bill.unit_id)
        )
        created = {r[1]: r[0] for r in (await session.execute(stmt)).all()}
        line_rows: list[dict[str, Any]] = []
        for unit, lines in chunk:
            bill_id = created.get(unit.id)
            if bill_id is None:  # someone else created it a moment ago
                result.existing += 1
                continue
            result.bill_ids.append(bill_id)
            for line in lines:
                line_rows.append(
                    {
                        "bill_id": bill_id,
                        "fee_item_id": line.fee_item_id,
                        "name": line.name,
                        "kind": line.kind,
                        "quantity": line.quantity,
                        "rate_minor": line.rate_minor,
                        "months": line.months,
                        "amount_minor": line.amount_minor,
                    }
                )
        if line_rows:
            await session.execute(insert(BillLine), line_rows)
        result.created += len(created)
    session.add(
        BillRun(
            community_id=community.id,
            period=str(period),
            trigger=trigger,
            actor_person_id=actor_person_id,
            bills_created=result.created,
            created_at=now,
        )
    )
    await session.flush()
    await record_audit(
        session,
        "fees.bills_generate",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="period",
        target_id=str(period),
        details={
            "trigger": trigger,
            "created": result.created,
            "existing": result.existing,
            "without_fees": result.without_fees,
        },
    )
    return result


async def has_run(session: AsyncSession, community_id: int, period: Period) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(BillRun)
        .where(BillRun.community_id == community_id, BillRun.period == str(period))
    )
    return bool(found)


async def apply_late_fees(session: AsyncSession, community: Community, *, now: datetime) -> int:
    """Charge each item's late fee once on bills overdue beyond the grace days."""
    grace = int(fees_config(community)["late_fee_grace_days"])
    cutoff: date = local_today(community, now) - timedelta(days=grace)
    bills = (
        await session.scalars(
            select(Bill)
            .where(
                Bill.community_id == community.id,
                Bill.status == BillStatus.OPEN,
                Bill.due_date < cutoff,
            )
            .options(selectinload(Bill.lines))
        )
    ).all()
    if not bills:
        return 0
    item_ids = {line.fee_item_id for b in bills for line in b.lines if line.fee_item_id}
    late: dict[int, int] = {}
    if item_ids:
        rows = await session.execute(
            select(FeeItem.id, FeeItem.late_fee_minor).where(FeeItem.id.in_(item_ids))
        )
        late = {r[0]: int(r[1]) for r in rows if r[1]}
    already = set(
        (
            await session.scalars(
                select(BillAdjustment.bill_id).where(
                    BillAdjustment.bill_id.in_([b.id for b in bills]),
                    BillAdjustment.kind == AdjustmentKind.LATE_FEE,
                )
            )
        ).all()
    )
    dialect = session.bind.dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    charged: list[int] = []
    for bill in bills:
        if bill.id in already:
            continue
        fee = sum(late.get(line.fee_item_id or 0, 0) for line in bill.lines)
        if fee <= 0:
            continue
        stmt = (
            insert_fn(BillAdjustment)
            .values(
                community_id=community.id,
                bill_id=bill.id,
                kind=AdjustmentKind.LATE_FEE,
                amount_minor=fee,
                reason="late fee",
                key=f"late:{bill.id}",
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(BillAdjustment.id)
        )
        if (await session.execute(stmt)).first() is not None:
            charged.append(bill.id)
    if charged:
        await refresh_bills(session, charged, now=now)
    return len(charged)


async def bills_of_units(
    session: AsyncSession, unit_ids: list[int], *, limit_per_unit: int = 12
) -> dict[int, list[Bill]]:
    """The recent bills of each unit, newest first (open ones always included)."""
    if not unit_ids:
        return {}
    rows = (
        await session.scalars(
            select(Bill)
            .where(Bill.unit_id.in_(unit_ids))
            .order_by(Bill.unit_id, Bill.period.desc())
            .options(selectinload(Bill.lines))
        )
    ).all()
    result: dict[int, list[Bill]] = defaultdict(list)
    for bill in rows:
        bucket = result[bill.unit_id]
        if bill.status == BillStatus.OPEN or len(bucket) < limit_per_unit:
            bucket.append(bill)
    return dict(result)


async def open_bills_of_unit(session: AsyncSession, unit_id: int) -> list[Bill]:
    rows = (
        await session.scalars(
            select(Bill)
            .where(Bill.unit_id == unit_id, Bill.status == BillStatus.OPEN)
            .order_by(Bill.period)
        )
    ).all()
    return [b for b in rows if b.outstanding_minor > 0]
