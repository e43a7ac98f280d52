"""What the chat side of the gate reads about passes, in one place: a resident's
communities with their gates, a host's own pass, a worker request with who asked
for it, and the people to tell when a pass is used, a visitor overstays or rings.

Reads in the caller's session (the overstay claim aside, which writes in it);
nothing here formats user text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo, community_gates
from access.models import Pass, PassKind
from access.passes import claim_overstays
from access.passes.shared import households_to_tell
from core.models import Building, Community, Person, Unit


@dataclass(frozen=True)
class GatedCommunity:
    community: Community
    gates: list[GateInfo]


async def communities_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Community]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(Community).where(Community.id.in_(wanted)))
    return {community.id: community for community in rows}


async def community_by_id(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def gated_communities(
    session: AsyncSession, community_ids: Iterable[int]
) -> dict[int, GatedCommunity]:
    """The communities among ``community_ids`` with at least one active gate."""
    found: dict[int, GatedCommunity] = {}
    for community_id, community in (await communities_by_id(session, community_ids)).items():
        gates = await community_gates(session, community_id)
        if gates:
            found[community_id] = GatedCommunity(community, gates)
    return found


async def host_pass(session: AsyncSession, pass_id: int, host_person_id: int | None) -> Pass | None:
    """The pass, if ``host_person_id`` issued it (a host sees only their own)."""
    row = await session.get(Pass, pass_id)
    if row is None or row.host_person_id != host_person_id:
        return None
    return row


@dataclass(frozen=True)
class PassParties:
    """A pass with the host who issued it and the home it was issued for."""

    pass_: Pass
    community: Community
    host: Person | None
    unit_label: str


async def _parties(session: AsyncSession, row: Pass, community: Community) -> PassParties:
    host = await person_by_id(session, row.host_person_id)
    unit = await session.execute(
        select(Building.name, Unit.number)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.id == row.host_unit_id)
    )
    found = unit.first()
    label = f"{found.name}-{found.number}" if found else ""
    return PassParties(row, community, host, label)


async def worker_request(
    session: AsyncSession, pass_id: int, community_id: int
) -> PassParties | None:
    """A pass of the community (a worker request, when staff decide it), with the
    resident who asked for it."""
    row = await session.get(Pass, pass_id)
    if row is None or row.community_id != community_id:
        return None
    community = await session.get(Community, community_id)
    assert community is not None
    return await _parties(session, row, community)


async def person_by_id(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


@dataclass(frozen=True)
class UseNotice:
    host: Person | None
    pass_: Pass | None
    # Whom to tell: the host; for a daily-help pass, every household keeping it.
    recipients: list[Person] = field(default_factory=list)


async def pass_use_notice(
    session: AsyncSession, host_person_id: int, pass_id: int | None, today: date | None = None
) -> UseNotice:
    """Whom to tell that their visitor came in (or their daily help came or went),
    and the pass they used."""
    host = await person_by_id(session, host_person_id)
    row = await session.get(Pass, pass_id) if pass_id else None
    recipients = [host] if host is not None else []
    if row is not None and row.kind == PassKind.DAILY_HELP and today is not None:
        recipients = await households_to_tell(session, row.id, today)
    return UseNotice(host, row, recipients)


async def claim_overstay_notices(session: AsyncSession, now: datetime) -> list[PassParties]:
    """Claim the overstays due now (:func:`access.passes.claim_overstays`) with the
    host and community to tell; passes whose host or community is gone are claimed
    and skipped."""
    claimed = await claim_overstays(session, now)
    communities = await communities_by_id(session, (row.community_id for row in claimed))
    notices: list[PassParties] = []
    for row in claimed:
        community = communities.get(row.community_id)
        if community is None:
            continue
        parties = await _parties(session, row, community)
        if parties.host is not None:
            notices.append(parties)
    return notices
