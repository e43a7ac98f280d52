"""Choosing a home: communities, buildings, floors and units, paginated (a community
may have 200 buildings), and whether a person may apply for a unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.models import (
    Building,
    Community,
    Residency,
    ResidencyStatus,
    Unit,
)
from core.residency import membership_clause
from core.residents.common import ResidentsError


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


async def communities_page(
    session: AsyncSession, offset: int, limit: int
) -> tuple[list[Choice], int]:
    """Communities that have units, by name."""
    has_units = select(Unit.community_id).distinct()
    base = select(Community.id, Community.name).where(Community.id.in_(has_units))
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (await session.execute(base.order_by(Community.name).offset(offset).limit(limit))).all()
    return [Choice(i, n) for i, n in rows], int(total)


async def buildings_page(
    session: AsyncSession, community_id: int, offset: int, limit: int
) -> tuple[list[Choice], int]:
    base = select(Building.id, Building.name).where(Building.community_id == community_id)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (
        await session.execute(base.order_by(*_natural(Building.name)).offset(offset).limit(limit))
    ).all()
    return [Choice(i, n) for i, n in rows], int(total)


def _natural(column: Any) -> tuple[Any, Any]:
    # Shorter names first, so "2栋" sorts before "10栋" without a collation.
    return (func.length(column), column)


async def floors_of_building(session: AsyncSession, building_id: int) -> list[int | None]:
    rows = await session.scalars(
        select(Unit.floor).where(Unit.building_id == building_id).distinct()
    )
    floors = list(rows.all())
    return sorted(floors, key=lambda f: (f is None, f if f is not None else 0))


async def count_units_in_building(session: AsyncSession, building_id: int) -> int:
    return int(
        await session.scalar(select(func.count(Unit.id)).where(Unit.building_id == building_id))
        or 0
    )


async def units_page(
    session: AsyncSession,
    building_id: int,
    offset: int,
    limit: int,
    *,
    floor: int | None = None,
    by_floor: bool = False,
) -> tuple[list[Choice], int]:
    base = select(Unit.id, Unit.number).where(Unit.building_id == building_id)
    if by_floor:
        base = base.where(Unit.floor.is_(None) if floor is None else Unit.floor == floor)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (
        await session.execute(
            base.order_by(Unit.floor, func.length(Unit.number), Unit.number)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return [Choice(i, n) for i, n in rows], int(total)


async def load_unit(session: AsyncSession, unit_id: int) -> Unit:
    unit = await session.scalar(
        select(Unit).where(Unit.id == unit_id).options(selectinload(Unit.building))
    )
    if unit is None:
        raise ResidentsError("unit_not_found")
    return unit


async def _membership_in_unit(
    session: AsyncSession, person_id: int, unit_id: int
) -> Residency | None:
    return await session.scalar(select(Residency).where(membership_clause(person_id, unit_id)))


async def check_can_apply(session: AsyncSession, person_id: int, unit_id: int) -> None:
    existing = await _membership_in_unit(session, person_id, unit_id)
    if existing is not None:
        raise ResidentsError(
            "already_member" if existing.status == ResidencyStatus.ACTIVE else "already_applied"
        )
