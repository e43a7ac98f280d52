"""Small builders for the ground every test stands on (real rows, real database)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

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

_seq = itertools.count(1)


async def make_community(
    session: AsyncSession,
    name: str | None = None,
    *,
    admin_chat_id: int | None = None,
    is_forum: bool = True,
    timezone: str = "Asia/Shanghai",
    currency: str = "CNY",
    locale: str = "zh_Hans",
) -> Community:
    community = Community(
        name=name or f"阳光花园 {next(_seq)}",
        address="上海市浦东新区阳光路 1 号",
        timezone=timezone,
        currency=currency,
        locale=locale,
        admin_chat_id=admin_chat_id,
        admin_chat_is_forum=is_forum,
        duty_phone="+86 21 5555 0100",
        config={},
    )
    session.add(community)
    await session.flush()
    return community


async def make_unit(
    session: AsyncSession,
    community: Community,
    building: str = "1栋",
    number: str | None = None,
    *,
    floor: int = 3,
    area_m2: str = "89.50",
) -> Unit:
    from sqlalchemy import select

    b = await session.scalar(
        select(Building).where(Building.community_id == community.id, Building.name == building)
    )
    if b is None:
        b = Building(community_id=community.id, name=building)
        session.add(b)
        await session.flush()
    unit = Unit(
        community_id=community.id,
        building_id=b.id,
        number=number or f"{floor}0{next(_seq)}",
        floor=floor,
        area_m2=Decimal(area_m2),
    )
    session.add(unit)
    await session.flush()
    await session.refresh(unit, ["building"])
    return unit


async def make_person(
    session: AsyncSession,
    telegram_id: int | None = None,
    name: str = "王小明",
    *,
    locale: str = "zh_Hans",
    phone: str | None = "+8613800000000",
) -> Person:
    person = Person(
        telegram_id=telegram_id if telegram_id is not None else 10_000 + next(_seq),
        full_name=name,
        locale=locale,
        phone=phone,
    )
    session.add(person)
    await session.flush()
    return person


# Residents in tests have lived there since before any test clock (a bill belongs to
# whoever lived there in its period: the machine's date must not decide that).
LONG_AGO = date(2020, 1, 1)


async def make_resident(
    session: AsyncSession,
    unit: Unit,
    telegram_id: int | None = None,
    name: str = "王小明",
    *,
    role: ResidencyRole = ResidencyRole.OWNER,
    locale: str = "zh_Hans",
    start_date: date | None = LONG_AGO,
) -> tuple[Person, Residency]:
    person = await make_person(session, telegram_id, name, locale=locale)
    residency = Residency(
        person_id=person.id,
        unit_id=unit.id,
        role=role,
        status=ResidencyStatus.ACTIVE,
        start_date=start_date,
        decided_at=utcnow(),
    )
    session.add(residency)
    await session.flush()
    return person, residency


async def make_staff(
    session: AsyncSession,
    community: Community,
    telegram_id: int | None = None,
    name: str = "李经理",
    role: StaffRole = StaffRole.MANAGER,
    *,
    locale: str = "zh_Hans",
) -> tuple[Person, Staff]:
    person = await make_person(session, telegram_id, name, locale=locale)
    staff = Staff(person_id=person.id, community_id=community.id, role=role)
    session.add(staff)
    await session.flush()
    return person, staff
