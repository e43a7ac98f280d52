"""The schedule and bill generation: exact amounts, who is charged, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.fees.billing import compute_lines, generate_bills
from core.fees.common import FeeError, Period, parse_money, round_minor
from core.fees.models import Bill, BillLine, FeeKind, FeeScope
from core.fees.schedule import add_fee_item, resolve_units, retire_fee_item
from core.models import AuditEntry
from tests.factories import make_unit
from tests.fees.helpers import NOW, PERIOD, fee_world


def test_round_half_up_is_exact() -> None:
    assert round_minor(Decimal("16557.5")) == 16558
    assert round_minor(Decimal("16557.4999")) == 16557
    assert round_minor(Decimal("0.5")) == 1
    # 89.50 m² × ¥1.85: binary floats would give 165.57499999…
    assert round_minor(Decimal("89.50") * 185) == 16558


def test_parse_money() -> None:
    assert parse_money("1,234.5") == 123450
    assert parse_money("¥12") == 1200
    assert parse_money("-3.20", allow_negative=True) == -320
    for bad in ("1.234", "abc", "-1", "NaN", ""):
        with pytest.raises(FeeError):
            parse_money(bad)


def test_period() -> None:
    p = Period.parse("2026-02")
    assert (p.start, p.end, p.day(30)) == (date(2026, 2, 1), date(2026, 3, 1), date(2026, 2, 28))
    assert str(p.shift(-2)) == "2025-12"
    with pytest.raises(FeeError):
        Period.parse("2026-13")


async def test_generate_exact_lines_and_idempotent(session) -> None:
    world = await fee_world(session)
    first = await generate_bills(session, world.community, PERIOD, now=NOW, trigger="test")
    assert first.created == 2
    again = await generate_bills(session, world.community, PERIOD, now=NOW, trigger="test")
    assert again.created == 0 and again.existing == 2
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Bill)) == 2
    assert await session.scalar(select(func.count()).select_from(BillLine)) == 3
    bill = await session.scalar(select(Bill).where(Bill.unit_id == world.units[0].id))
    # 89.50 × 1.85 = 165.575 → 165.58; two parking spaces 2 × 150.00
    assert bill.total_minor == 16558 + 30000
    assert bill.amount_due_minor == bill.total_minor and bill.paid_minor == 0
    assert bill.due_date == date(2026, 11, 15)  # the earliest due day of its items
    other = await session.scalar(select(Bill).where(Bill.unit_id == world.units[1].id))
    assert other.total_minor == 16558
    audits = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "fees.bills_generate"))
    ).all()
    assert [a.details["created"] for a in audits] == [2, 0]


async def test_scopes_periods_and_retirement(session) -> None:
    world = await fee_world(session, units=1, parking_for_first=False)
    tower = await make_unit(session, world.community, "2栋", "501", area_m2="120.00")
    await add_fee_item(
        session,
        world.community,
        name="电梯费",
        kind=FeeKind.FIXED,
        amount_minor=3000,
        scope=FeeScope.UNITS,
        targets=await resolve_units(session, world.community.id, "2栋-501"),
    )
    quarterly = await add_fee_item(
        session,
        world.community,
        name="垃圾清运费",
        kind=FeeKind.FIXED,
        amount_minor=1000,
        period_months=3,
    )
    from core.fees.schedule import list_fee_items

    items = await list_fee_items(session, world.community.id)
    await session.refresh(tower)
    names = lambda lines: sorted((x.name, x.amount_minor) for x in lines)  # noqa: E731
    assert names(compute_lines(tower, items, Period(2026, 10))) == [
        ("垃圾清运费", 3000),
        ("物业费", 22200),
        ("电梯费", 3000),
    ]
    assert names(compute_lines(tower, items, Period(2026, 11))) == [
        ("物业费", 22200),
        ("电梯费", 3000),
    ]
    await retire_fee_item(session, world.community, quarterly.id)
    items = await list_fee_items(session, world.community.id)
    assert "垃圾清运费" not in {x.name for x in compute_lines(tower, items, Period(2027, 1))}
    with pytest.raises(FeeError) as err:
        await resolve_units(session, world.community.id, "9栋-1")
    assert err.value.code == "unknown_units"
