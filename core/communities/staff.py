"""Staff of a community: list, add, change role, remove. The last active manager
cannot be removed or demoted, so a community always has someone who can run
``/setup``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.communities.community import CommunityError
from core.models import Community, Person, Staff, StaffRole


@dataclass(frozen=True)
class StaffMember:
    staff_id: int
    person_id: int
    telegram_id: int | None
    full_name: str
    role: StaffRole


async def list_staff(session: AsyncSession, community_id: int) -> list[StaffMember]:
    rows = (
        await session.execute(
            select(Staff, Person)
            .join(Person, Person.id == Staff.person_id)
            .where(Staff.community_id == community_id, Staff.active.is_(True))
            .order_by(Staff.role, Person.full_name, Staff.id)
        )
    ).all()
    return [StaffMember(s.id, p.id, p.telegram_id, p.full_name, s.role) for s, p in rows]


async def _active_managers(session: AsyncSession, community_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(Staff.id)).where(
                Staff.community_id == community_id,
                Staff.active.is_(True),
                Staff.role == StaffRole.MANAGER,
            )
        )
        or 0
    )


async def add_staff(
    session: AsyncSession,
    community: Community,
    telegram_id: int,
    role: StaffRole,
    *,
    full_name: str = "",
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> tuple[Staff, bool]:
    """Make the person behind ``telegram_id`` staff with ``role``.

    Returns ``(staff, created)``; an existing (or removed) membership gets the
    new role and is reactivated.
    """
    if telegram_id <= 0:
        raise CommunityError("bad_telegram_id")
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, full_name=full_name[:120])
        session.add(person)
        await session.flush()
    elif full_name and not person.full_name:
        person.full_name = full_name[:120]
    staff = await session.scalar(
        select(Staff).where(Staff.person_id == person.id, Staff.community_id == community.id)
    )
    created = staff is None or not staff.active
    previous = None if staff is None or not staff.active else staff.role
    if staff is None:
        staff = Staff(person_id=person.id, community_id=community.id, role=role, active=True)
        session.add(staff)
    else:
        if staff.active and staff.role == StaffRole.MANAGER and role != StaffRole.MANAGER:
            await _ensure_other_manager(session, community.id)
        staff.role = role
        staff.active = True
    await session.flush()
    await record_audit(
        session,
        "staff.added" if created else "staff.role_changed",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="person",
        target_id=person.id,
        details={"role": role.value, "previous": previous.value if previous else None},
    )
    return staff, created


async def _ensure_other_manager(session: AsyncSession, community_id: int) -> None:
    if await _active_managers(session, community_id) <= 1:
        raise CommunityError("last_manager")


async def _active_staff(session: AsyncSession, community_id: int, staff_id: int) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.community_id != community_id or not staff.active:
        raise CommunityError("staff_not_found")
    return staff


async def change_staff_role(
    session: AsyncSession,
    community_id: int,
    staff_id: int,
    role: StaffRole,
    *,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Staff:
    staff = await _active_staff(session, community_id, staff_id)
    if staff.role == role:
        return staff
    if staff.role == StaffRole.MANAGER:
        await _ensure_other_manager(session, community_id)
    previous = staff.role
    staff.role = role
    await session.flush()
    await record_audit(
        session,
        "staff.role_changed",
        community_id=community_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="person",
        target_id=staff.person_id,
        details={"role": role.value, "previous": previous.value},
    )
    return staff


async def remove_staff(
    session: AsyncSession,
    community_id: int,
    staff_id: int,
    *,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Staff:
    """Deactivate a membership (kept for the audit trail of what they did)."""
    staff = await _active_staff(session, community_id, staff_id)
    if staff.role == StaffRole.MANAGER:
        await _ensure_other_manager(session, community_id)
    staff.active = False
    await session.flush()
    await record_audit(
        session,
        "staff.removed",
        community_id=community_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="person",
        target_id=staff.person_id,
        details={"role": staff.role.value},
    )
    return staff
