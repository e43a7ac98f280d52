"""Residencies once approved: ending them (with every area's revocation hook), lease
expiry, a unit's residents, and the family members an owner adds or removes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import invitations as _invitations  # noqa: F401  (registers its end hook)
from core.audit import record_audit
from core.clock import Clock
from core.lifecycle import run_residency_end_hooks
from core.models import (
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from core.residency import active_residency_clause
from core.residents.common import ResidentsError, community_today
from core.residents.homes import load_unit


async def end_residency(
    session: AsyncSession,
    residency_id: int,
    *,
    clock: Clock,
    reason: str,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Residency:
    """End an ACTIVE residency and revoke everything held through it (see module doc)."""
    residency = await session.get(Residency, residency_id, populate_existing=True)
    if residency is None:
        raise ResidentsError("not_found")
    if residency.status == ResidencyStatus.ENDED:
        return residency
    if residency.status != ResidencyStatus.ACTIVE:
        raise ResidentsError("not_active")
    unit = await load_unit(session, residency.unit_id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    now = clock.now()
    today = community_today(community, clock)
    residency.status = ResidencyStatus.ENDED
    residency.ended_at = now
    if residency.end_date is None or residency.end_date > today:
        residency.end_date = today
    await session.flush()
    await run_residency_end_hooks(session, residency)
    await record_audit(
        session,
        "residency.ended",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="residency",
        target_id=residency.id,
        details={"reason": reason, "person_id": residency.person_id, "unit_id": unit.id},
    )
    return residency


async def end_expired_tenancies(session: AsyncSession, clock: Clock) -> list[int]:
    """End tenancies whose lease end date has passed (in their community's zone)."""
    rows = (
        await session.execute(
            select(Residency.id, Community)
            .join(Unit, Unit.id == Residency.unit_id)
            .join(Community, Community.id == Unit.community_id)
            .where(
                active_residency_clause(),
                Residency.end_date.is_not(None),
                Residency.end_date < clock.now().date() + timedelta(days=1),
            )
        )
    ).all()
    ended: list[int] = []
    for residency_id, community in rows:
        residency = await session.get(Residency, residency_id)
        assert residency is not None and residency.end_date is not None
        if residency.end_date < community_today(community, clock):
            await end_residency(session, residency_id, clock=clock, reason="lease_ended")
            ended.append(residency_id)
    return ended


@dataclass(frozen=True)
class ResidentView:
    residency_id: int
    person_id: int
    telegram_id: int | None
    full_name: str
    phone: str | None
    role: ResidencyRole
    start_date: date | None
    end_date: date | None


async def unit_residents(session: AsyncSession, unit_id: int) -> list[ResidentView]:
    rows = (
        await session.execute(
            select(Residency, Person)
            .join(Person, Person.id == Residency.person_id)
            .where(active_residency_clause(unit_id=unit_id))
            .order_by(Residency.role, Residency.id)
        )
    ).all()
    return [
        ResidentView(
            r.id, p.id, p.telegram_id, p.full_name, p.phone, r.role, r.start_date, r.end_date
        )
        for r, p in rows
    ]


async def owner_residency(session: AsyncSession, person_id: int, unit_id: int) -> Residency:
    residency = await session.scalar(
        select(Residency).where(
            active_residency_clause(person_id=person_id, unit_id=unit_id),
            Residency.role == ResidencyRole.OWNER,
        )
    )
    if residency is None:
        raise ResidentsError("not_owner")
    return residency


async def add_family_member(
    session: AsyncSession,
    owner_person_id: int,
    unit_id: int,
    full_name: str,
    *,
    clock: Clock,
) -> Residency:
    """An owner adds a family member who has no Telegram account (a child, an
    elderly parent). No staff review: the owner answers for their household."""
    owner = await owner_residency(session, owner_person_id, unit_id)
    full_name = " ".join(full_name.split())
    if not 1 <= len(full_name) <= 60:
        raise ResidentsError("bad_name")
    unit = await load_unit(session, unit_id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    now = clock.now()
    person = Person(telegram_id=None, full_name=full_name)
    session.add(person)
    await session.flush()
    residency = Residency(
        person_id=person.id,
        unit_id=unit_id,
        role=ResidencyRole.FAMILY,
        status=ResidencyStatus.ACTIVE,
        start_date=community_today(community, clock),
        created_at=now,
        decided_at=now,
        decided_by_person_id=owner.person_id,
    )
    session.add(residency)
    await session.flush()
    await record_audit(
        session,
        "residency.family_added",
        community_id=community.id,
        actor_person_id=owner_person_id,
        target_type="residency",
        target_id=residency.id,
        details={"unit_id": unit_id, "without_telegram": True},
    )
    return residency


async def remove_family_member(
    session: AsyncSession, owner_person_id: int, residency_id: int, *, clock: Clock
) -> Residency:
    """An owner removes a family member of their unit (not another owner or tenant)."""
    residency = await session.get(Residency, residency_id)
    if residency is None or residency.role != ResidencyRole.FAMILY:
        raise ResidentsError("not_found")
    await owner_residency(session, owner_person_id, residency.unit_id)
    return await end_residency(
        session,
        residency_id,
        clock=clock,
        reason="removed_by_owner",
        actor_person_id=owner_person_id,
    )
