"""The community, building and invitation a move-in step is about, and joining a
home with an invitation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core.agreements import Acceptance
from core.clock import Clock
from core.invitations import redeem_invitation
from core.models import Building, Community, Person, Residency, ResidencyRole, Unit
from core.movein_models import Invitation
from core.residents import ResidentsError, community_today, keep_joining_details, load_unit


async def get_community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def building_in_community(
    session: AsyncSession, building_id: int, community_id: int | None
) -> Building | None:
    """The building, if it (still) belongs to the community chosen a step earlier."""
    building = await session.get(Building, building_id)
    if building is None or building.community_id != community_id:
        return None
    return building


async def unit_in_building(
    session: AsyncSession, unit_id: int, building_id: int | None
) -> Unit | None:
    """The unit, if it (still) is in the building chosen a step earlier."""
    try:
        unit = await load_unit(session, unit_id)
    except ResidentsError:
        return None
    return unit if unit.building_id == building_id else None


async def invitation_home(session: AsyncSession, invitation: Invitation) -> tuple[Unit, Community]:
    unit = await load_unit(session, invitation.unit_id)
    community = await session.get(Community, invitation.community_id)
    assert community is not None
    return unit, community


@dataclass(frozen=True)
class Joined:
    residency: Residency
    community: Community
    person: Person


async def join_with_invitation(
    session: AsyncSession,
    invitation_id: int,
    person_id: int,
    *,
    community_id: int,
    role: ResidencyRole | None,
    end_date: date | None,
    full_name: str,
    phone: str,
    acceptances: list[Acceptance],
    clock: Clock,
) -> Joined:
    """The invitation path's last step, in one transaction: the person becomes an
    active resident (:func:`core.invitations.redeem_invitation`, which raises
    ``InvitationError``), the agreements they accepted are recorded, and the name
    and phone they gave are kept."""
    community = await session.get(Community, community_id)
    assert community is not None
    residency = await redeem_invitation(
        session,
        invitation_id,
        person_id,
        role=role,
        end_date=end_date,
        today=community_today(community, clock),
        clock=clock,
    )
    person = await keep_joining_details(
        session,
        person_id=person_id,
        community_id=community.id,
        residency_id=residency.id,
        acceptances=acceptances,
        full_name=full_name,
        phone=phone,
    )
    return Joined(residency, community, person)
