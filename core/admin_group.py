"""What the admin group's set-up and staff screens read: the communities a manager
may bind a group to, the applications waiting for a group, one staff member."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.communities import StaffMember
from core.models import Community, Person, Staff
from core.movein_models import OPEN_APPLICATION_STATUSES, MoveInApplication


async def communities_by_name(session: AsyncSession, ids: Iterable[int]) -> list[Community]:
    """The communities with these ids, by name."""
    return list(
        (
            await session.scalars(
                select(Community).where(Community.id.in_(list(ids))).order_by(Community.name)
            )
        ).all()
    )


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def applications_waiting_for_group(
    session: AsyncSession, community_id: int, chat_id: int
) -> list[int]:
    """Open move-in applications of the community not yet posted in this chat
    (never posted, or posted in a group it no longer uses), oldest first."""
    return list(
        (
            await session.scalars(
                select(MoveInApplication.id)
                .where(
                    MoveInApplication.community_id == community_id,
                    MoveInApplication.status.in_(OPEN_APPLICATION_STATUSES),
                    or_(
                        MoveInApplication.admin_message_id.is_(None),
                        MoveInApplication.admin_chat_id != chat_id,
                    ),
                )
                .order_by(MoveInApplication.id)
            )
        ).all()
    )


async def active_staff_member(
    session: AsyncSession, community_id: int, staff_id: int
) -> StaffMember | None:
    """Staff ``staff_id`` if still active staff of the community."""
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.community_id != community_id or not staff.active:
        return None
    person = await session.get(Person, staff.person_id)
    if person is None:
        return None
    return StaffMember(staff.id, person.id, person.telegram_id, person.full_name, staff.role)
