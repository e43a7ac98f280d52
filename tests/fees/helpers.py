"""Builders for fees tests: a community with a schedule, units, residents and bills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.billing import generate_bills
from core.fees.common import Period
from core.fees.models import FeeItem, FeeKind, FeeScope
from core.fees.schedule import Target, add_fee_item
from core.models import Community, Unit
from tests.factories import make_community, make_unit

NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 1 November
PERIOD = Period(2026, 11)


@dataclass
class FeeWorld:
    community: Community
    units: list[Unit]
    management: FeeItem
    parking: FeeItem | None


async def fee_world(
    session: AsyncSession,
    *,
    units: int = 2,
    admin_chat_id: int | None = None,
    rate_minor: int = 185,
    parking_for_first: bool = True,
    late_fee_minor: int | None = None,
) -> FeeWorld:
    community = await make_community(session, admin_chat_id=admin_chat_id)
    made = [
        await make_unit(session, community, "1栋", f"{1201 + i}", area_m2="89.50")
        for i in range(units)
    ]
    management = await add_fee_item(
        session,
        community,
        name="物业费",
        kind=FeeKind.PER_M2,
        amount_minor=rate_minor,
        due_day=15,
        late_fee_minor=late_fee_minor,
    )
    parking = None
    if parking_for_first:
        parking = await add_fee_item(
            session,
            community,
            name="车位费",
            kind=FeeKind.PARKING,
            amount_minor=15000,
            scope=FeeScope.UNITS,
            targets=[Target(unit_id=made[0].id, quantity=2)],
            due_day=20,
        )
    return FeeWorld(community, made, management, parking)


async def billed_world(session: AsyncSession, **kwargs: object) -> FeeWorld:
    world = await fee_world(session, **kwargs)  # type: ignore[arg-type]
    await generate_bills(session, world.community, PERIOD, now=NOW, trigger="test")
    await session.commit()
    return world
