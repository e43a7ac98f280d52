"""Who may act for whom: an active resident for themselves, an owner of the unit for
the family members who live there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import (
    FaceTemplate,
    TemplateStatus,
)
from access.faces.store.common import (
    FaceError,
)
from core.models import (
    Building,
    Person,
    Residency,
    ResidencyRole,
    Unit,
)
from core.residency import active_residency_clause


@dataclass(frozen=True)
class HouseholdMember:
    person_id: int
    full_name: str
    has_telegram: bool
    unit_id: int
    unit_label: str
    templates: int


async def active_residency_units(
    session: AsyncSession, person_id: int, community_id: int
) -> list[tuple[int, ResidencyRole]]:
    rows = await session.execute(
        select(Residency.unit_id, Residency.role)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(active_residency_clause(person_id=person_id), Unit.community_id == community_id)
        .order_by(Residency.id)
    )
    return [(unit_id, role) for unit_id, role in rows.all()]


async def is_active_resident(session: AsyncSession, person_id: int, community_id: int) -> bool:
    return bool(await active_residency_units(session, person_id, community_id))


async def household_members(
    session: AsyncSession, owner_person_id: int, community_id: int
) -> list[HouseholdMember]:
    """Family members living in the units this person owns in the community."""
    owned = [
        unit_id
        for unit_id, role in await active_residency_units(session, owner_person_id, community_id)
        if role == ResidencyRole.OWNER
    ]
    if not owned:
        return []
    counts = (
        select(FaceTemplate.person_id, func.count(FaceTemplate.id).label("n"))
        .where(
            FaceTemplate.community_id == community_id,
            FaceTemplate.status == TemplateStatus.ACTIVE,
        )
        .group_by(FaceTemplate.person_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Person.id,
            Person.full_name,
            Person.telegram_id,
            Unit.id,
            Building.name,
            Unit.number,
            counts.c.n,
        )
        .join(Residency, Residency.person_id == Person.id)
        .join(Unit, Unit.id == Residency.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .outerjoin(counts, counts.c.person_id == Person.id)
        .where(
            Residency.unit_id.in_(owned),
            active_residency_clause(),
            Residency.role == ResidencyRole.FAMILY,
            Person.id != owner_person_id,
        )
        .order_by(Unit.id, Person.id)
    )
    seen: set[int] = set()
    members: list[HouseholdMember] = []
    for pid, name, tg, unit_id, building, number, n in rows.all():
        if pid in seen:
            continue
        seen.add(pid)
        members.append(
            HouseholdMember(
                pid, name or "", tg is not None, unit_id, f"{building}-{number}", n or 0
            )
        )
    return members


async def household_unit(
    session: AsyncSession, owner_person_id: int, subject_person_id: int, community_id: int
) -> int:
    """The unit through which ``owner`` answers for ``subject``; refuses otherwise."""
    for member in await household_members(session, owner_person_id, community_id):
        if member.person_id == subject_person_id:
            return member.unit_id
    raise FaceError("not_household")


async def check_actor(
    session: AsyncSession, actor_person_id: int, subject_person_id: int, community_id: int
) -> None:
    if actor_person_id == subject_person_id:
        if not await is_active_resident(session, subject_person_id, community_id):
            raise FaceError("not_resident")
        return
    await household_unit(session, actor_person_id, subject_person_id, community_id)
