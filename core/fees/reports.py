"""Staff reports: collection rate by building and period, overdue units, CSV export.

All three are aggregates over indexed columns (``bills.community_id, period`` and
``community_id, status, due_date``), so they stay quick for large communities.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.common import Period
from core.fees.models import Bill, BillStatus, FeeReminder, Payment, PaymentAllocation
from core.formatting import minor_to_decimal
from core.models import Building, Unit


@dataclass(frozen=True)
class CollectionRow:
    building: str
    period: str
    bills: int
    paid: int
    due_minor: int
    collected_minor: int

    @property
    def rate(self) -> float:
        return self.collected_minor / self.due_minor if self.due_minor else 0.0


@dataclass(frozen=True)
class OverdueUnit:
    unit_id: int
    label: str
    periods: list[str]
    outstanding_minor: int
    oldest_due: date
    days_overdue: int
    reminders: int
    reached: bool  # at least one reminder reached an owner or tenant


async def collection_by_building(
    session: AsyncSession, community_id: int, first: Period, last: Period
) -> list[CollectionRow]:
    collected = func.sum(
        case(
            (Bill.paid_minor > Bill.amount_due_minor, Bill.amount_due_minor),
            else_=Bill.paid_minor,
        )
    )
    rows = await session.execute(
        select(
            Building.name,
            Bill.period,
            func.count(Bill.id),
            func.sum(case((Bill.status == BillStatus.PAID, 1), else_=0)),
            func.sum(Bill.amount_due_minor),
            collected,
        )
        .join(Unit, Unit.id == Bill.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(
            Bill.community_id == community_id,
            Bill.period >= str(first),
            Bill.period <= str(last),
        )
        .group_by(Building.name, Bill.period)
        .order_by(Bill.period, Building.name)
    )
    return [
        CollectionRow(
            building=r[0],
            period=r[1],
            bills=int(r[2]),
            paid=int(r[3] or 0),
            due_minor=int(r[4] or 0),
            collected_minor=int(r[5] or 0),
        )
        for r in rows
    ]


async def overdue_units(
    session: AsyncSession, community_id: int, today: date, *, limit: int = 500
) -> list[OverdueUnit]:
    bills = (
        await session.execute(
            select(
                Bill.id,
                Bill.unit_id,
                Bill.period,
                Bill.due_date,
                Bill.amount_due_minor - Bill.paid_minor,
                Building.name,
                Unit.number,
            )
            .join(Unit, Unit.id == Bill.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(
                Bill.community_id == community_id,
                Bill.status == BillStatus.OPEN,
                Bill.due_date < today,
            )
            .order_by(Bill.due_date, Building.name, Unit.number)
        )
    ).all()
    if not bills:
        return []
    reminders = {
        r[0]: (int(r[1]), int(r[2] or 0))
        for r in await session.execute(
            select(FeeReminder.bill_id, func.count(), func.sum(FeeReminder.delivered))
            .where(FeeReminder.bill_id.in_([b[0] for b in bills]))
            .group_by(FeeReminder.bill_id)
        )
    }
    units: dict[int, dict[str, object]] = {}
    for bill_id, unit_id, period, due, outstanding, building, number in bills:
        entry = units.setdefault(
            unit_id,
            {
                "label": f"{building}-{number}",
                "periods": [],
                "outstanding": 0,
                "oldest": due,
                "reminders": 0,
                "delivered": 0,
            },
        )
        entry["periods"].append(period)  # type: ignore[attr-defined]
        entry["outstanding"] = int(entry["outstanding"]) + int(outstanding)  # type: ignore[call-overload]
        sent, delivered = reminders.get(bill_id, (0, 0))
        entry["reminders"] = int(entry["reminders"]) + sent  # type: ignore[call-overload]
        entry["delivered"] = int(entry["delivered"]) + delivered  # type: ignore[call-overload]
    result = [
        OverdueUnit(
            unit_id=unit_id,
            label=str(e["label"]),
            periods=sorted(e["periods"]),  # type: ignore[call-overload]
            outstanding_minor=int(e["outstanding"]),  # type: ignore[call-overload]
            oldest_due=e["oldest"],  # type: ignore[arg-type]
            days_overdue=(today - e["oldest"]).days,  # type: ignore[operator]
            reminders=int(e["reminders"]),  # type: ignore[call-overload]
            reached=int(e["delivered"]) > 0,  # type: ignore[call-overload]
        )
        for unit_id, e in units.items()
    ]
    result.sort(key=lambda u: (-u.days_overdue, u.label))
    return result[:limit]


CSV_HEADER = (
    "building",
    "unit",
    "period",
    "due_date",
    "currency",
    "billed",
    "amount_due",
    "paid",
    "outstanding",
    "status",
    "paid_at",
    "payment_ids",
    "payment_methods",
)


def _major(minor: int, currency: str) -> str:
    return format(minor_to_decimal(minor, currency), "f")


async def export_csv(
    session: AsyncSession, community_id: int, first: Period, last: Period
) -> bytes:
    """Every bill of the periods with its payments, as UTF-8 CSV (with a BOM for Excel)."""
    rows = (
        await session.execute(
            select(Bill, Building.name, Unit.number)
            .join(Unit, Unit.id == Bill.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(
                Bill.community_id == community_id,
                Bill.period >= str(first),
                Bill.period <= str(last),
            )
            .order_by(Bill.period, Building.name, Unit.number)
        )
    ).all()
    payments: dict[int, list[tuple[int, str]]] = {}
    bill_ids = [r[0].id for r in rows]
    for start in range(0, len(bill_ids), 900):
        chunk = bill_ids[start : start + 900]
        for bill_id, payment_id, method in await session.execute(
            select(PaymentAllocation.bill_id, Payment.id, Payment.method)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.bill_id.in_(chunk))
            .order_by(Payment.id)
        ):
            payments.setdefault(bill_id, []).append((payment_id, method.value))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for bill, building, number in rows:
        paid_with = payments.get(bill.id, [])
        writer.writerow(
            [
                building,
                number,
                bill.period,
                bill.due_date.isoformat(),
                bill.currency,
                _major(bill.total_minor, bill.currency),
                _major(bill.amount_due_minor, bill.currency),
                _major(bill.paid_minor, bill.currency),
                _major(bill.amount_due_minor - bill.paid_minor, bill.currency),
                bill.status.value,
                bill.paid_at.isoformat() if bill.paid_at else "",
                " ".join(str(p) for p, _ in paid_with),
                " ".join(sorted({m for _, m in paid_with})),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
