"""Who is talking to the bot: an unknown person, a resident of some units, staff.

The bot's identity middleware resolves this once per update; handlers and
filters read it instead of querying again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.models import (
    Building,
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Staff,
    StaffRole,
    Unit,
)


@dataclass(frozen=True)
class UnitMembership:
    residency_id: int
    unit_id: int
    community_id: int
    unit_label: str
    role: ResidencyRole


@dataclass(frozen=True)
class StaffMembership:
    staff_id: int
    community_id: int
    role: StaffRole


@dataclass(frozen=True)
class Identity:
    person_id: int | None
    telegram_id: int
    locale: str | None = None
    full_name: str = ""
    units: tuple[UnitMembership, ...] = ()
    pending_units: tuple[UnitMembership, ...] = ()
    staff: tuple[StaffMembership, ...] = field(default_factory=tuple)

    @property
    def is_known(self) -> bool:
        return self.person_id is not None

    @property
    def is_resident(self) -> bool:
        return bool(self.units)

    @property
    def is_staff(self) -> bool:
        return bool(self.staff)

    def community_ids(self) -> set[int]:
        return {u.community_id for u in self.units} | {s.community_id for s in self.staff}

    def staff_role_in(self, community_id: int) -> StaffRole | None:
        for s in self.staff:
            if s.community_id == community_id:
                return s.role
        return None

    def has_staff_role(self, community_id: int, *roles: StaffRole) -> bool:
        role = self.staff_role_in(community_id)
        return role is not None and (not roles or role in roles)

    def unit(self, unit_id: int) -> UnitMembership | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


async def load_identity(session: AsyncSession, telegram_id: int) -> Identity:
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        return Identity(person_id=None, telegram_id=telegram_id)
    rows = (
        await session.scalars(
            select(Residency)
            .where(
                Residency.person_id == person.id,
                Residency.status.in_([ResidencyStatus.ACTIVE, ResidencyStatus.PENDING]),
            )
            .options(selectinload(Residency.unit).selectinload(Unit.building))
            .order_by(Residency.id)
        )
    ).all()
    active: list[UnitMembership] = []
    pending: list[UnitMembership] = []
    today = utcnow().date()
    for r in rows:
        m = UnitMembership(
            residency_id=r.id,
            unit_id=r.unit_id,
            community_id=r.unit.community_id,
            unit_label=r.unit.label,
            role=r.role,
        )
        if r.status == ResidencyStatus.ACTIVE and (r.end_date is None or r.end_date >= today):
            active.append(m)
        elif r.status == ResidencyStatus.PENDING:
            pending.append(m)
    staff_rows = (
        await session.scalars(
            select(Staff).where(Staff.person_id == person.id, Staff.active.is_(True))
        )
    ).all()
    return Identity(
        person_id=person.id,
        telegram_id=telegram_id,
        locale=person.locale,
        full_name=person.full_name,
        units=tuple(active),
        pending_units=tuple(pending),
        staff=tuple(StaffMembership(s.id, s.community_id, s.role) for s in staff_rows),
    )


async def get_or_create_person(
    session: AsyncSession,
    telegram_id: int,
    *,
    full_name: str = "",
    locale: str | None = None,
) -> Person:
    """The person behind a Telegram account, created on first contact."""
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, full_name=full_name, locale=locale)
        session.add(person)
        await session.flush()
    return person


async def community_by_admin_chat(session: AsyncSession, chat_id: int) -> Community | None:
    return await session.scalar(select(Community).where(Community.admin_chat_id == chat_id))


async def unit_label(session: AsyncSession, unit_id: int) -> str:
    row = (
        await session.execute(
            select(Building.name, Unit.number)
            .join(Unit, Unit.building_id == Building.id)
            .where(Unit.id == unit_id)
        )
    ).one()
    return f"{row[0]}-{row[1]}"
