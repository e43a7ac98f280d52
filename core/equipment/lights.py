"""Street and stair lights: items whose kind says "light" (``light``,
``street_light``, ``stair_light``, 路灯, 楼道灯…), walked once a month.

On the round, staff name the lights found out (:func:`lights_out`: each becomes a
repair ticket, category electricity, linked to the item) and then close the round
(:func:`close_round`: every light not named is recorded working). The month's
figure is working ÷ checked, against the source documents' target of 98%.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.equipment.ledger import EquipmentError
from core.equipment.models import Equipment, EquipmentRepair, LightCheck
from core.models import Community
from core.tickets.models import RepairCategory, Ticket, TicketKind
from core.tickets.staff_filing import file_staff_ticket

TARGET_PCT = 98.0


def is_light(kind: str) -> bool:
    return kind.endswith("light") or "灯" in kind


def month_of(now: datetime, tz: str) -> str:
    return now.astimezone(ZoneInfo(tz)).strftime("%Y-%m")


async def community_lights(session: AsyncSession, community_id: int) -> list[Equipment]:
    items = await session.scalars(
        select(Equipment)
        .where(Equipment.community_id == community_id, Equipment.active.is_(True))
        .order_by(Equipment.id)
    )
    return [item for item in items.all() if is_light(item.kind)]


async def _checks(session: AsyncSession, community_id: int, month: str) -> dict[int, LightCheck]:
    rows = await session.scalars(
        select(LightCheck).where(LightCheck.community_id == community_id, LightCheck.month == month)
    )
    return {row.equipment_id: row for row in rows.all()}


async def lights_out(
    session: AsyncSession,
    clock: Clock,
    community: Community,
    item_ids: list[int],
    *,
    person_id: int,
    describe: Callable[[Equipment], str],
) -> list[tuple[Equipment, Ticket | None]]:
    """Record the lights out this month; each new one files its repair ticket
    (``describe`` writes its description). A light already out this month keeps
    its ticket (None is returned for it)."""
    lights = {item.id: item for item in await community_lights(session, community.id)}
    unknown = [i for i in item_ids if i not in lights]
    if unknown or not item_ids:
        raise EquipmentError("not_a_light")
    now = clock.now()
    month = month_of(now, community.timezone)
    checks = await _checks(session, community.id, month)
    result: list[tuple[Equipment, Ticket | None]] = []
    for item_id in dict.fromkeys(item_ids):
        item = lights[item_id]
        check = checks.get(item_id)
        if check is not None and not check.working and check.ticket_id is not None:
            result.append((item, None))
            continue
        ticket = await file_staff_ticket(
            session,
            clock,
            community=community,
            staff_person_id=person_id,
            kind=TicketKind.REPAIR,
            category=RepairCategory.ELECTRICITY,
            description=describe(item),
            location_text=" · ".join(p for p in (item.building, item.place) if p)[:120],
        )
        session.add(
            EquipmentRepair(
                community_id=community.id,
                equipment_id=item.id,
                ticket_id=ticket.id,
                linked_by_person_id=person_id,
            )
        )
        if check is None:
            check = LightCheck(community_id=community.id, equipment_id=item.id, month=month)
            session.add(check)
        check.working = False
        check.ticket_id = ticket.id
        check.checked_by_person_id = person_id
        check.checked_at = now
        result.append((item, ticket))
    await session.flush()
    return result


@dataclass(frozen=True)
class LightMonth:
    month: str
    total: int
    checked: int
    working: int
    out: list[Equipment]

    @property
    def pct(self) -> float | None:
        return 100.0 * self.working / self.checked if self.checked else None

    @property
    def on_target(self) -> bool:
        return self.pct is not None and self.pct >= TARGET_PCT


async def close_round(
    session: AsyncSession, community: Community, *, now: datetime, person_id: int
) -> LightMonth:
    """Every light not yet checked this month is recorded working."""
    month = month_of(now, community.timezone)
    checks = await _checks(session, community.id, month)
    for item in await community_lights(session, community.id):
        if item.id not in checks:
            session.add(
                LightCheck(
                    community_id=community.id,
                    equipment_id=item.id,
                    month=month,
                    working=True,
                    checked_by_person_id=person_id,
                    checked_at=now,
                )
            )
    await session.flush()
    return await light_month(session, community, month)


async def light_month(session: AsyncSession, community: Community, month: str) -> LightMonth:
    lights = await community_lights(session, community.id)
    checks = await _checks(session, community.id, month)
    seen = [checks[item.id] for item in lights if item.id in checks]
    return LightMonth(
        month,
        total=len(lights),
        checked=len(seen),
        working=sum(1 for check in seen if check.working),
        out=[item for item in lights if item.id in checks and not checks[item.id].working],
    )
