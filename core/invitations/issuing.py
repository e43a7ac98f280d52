"""Issuing invitations: one letterbox invitation per unit (re-issuing revokes the
unit's earlier open ones), or an owner's invitation for one family member."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.clock import Clock
from core.invitations.codes import (
    DEFAULT_HOUSEHOLD_USES,
    DEFAULT_VALID_DAYS,
    FAMILY_VALID_DAYS,
    InvitationError,
    hash_code,
    new_code,
)
from core.models import (
    Building,
    Community,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from core.movein_models import Invitation
from core.residency import active_residency_clause


@dataclass(frozen=True)
class IssuedInvitation:
    invitation_id: int
    unit_id: int
    building: str
    unit: str
    code: str  # the only time the plain code exists: print it, never store it
    expires_at: datetime


async def issue_unit_invitations(
    session: AsyncSession,
    community: Community,
    *,
    secret_key: str,
    clock: Clock,
    buildings: list[str] | None = None,
    only_vacant: bool = False,
    valid_days: int = DEFAULT_VALID_DAYS,
    max_uses: int = DEFAULT_HOUSEHOLD_USES,
    progress: Callable[[int], None] | None = None,
) -> list[IssuedInvitation]:
    """One fresh letterbox invitation per unit, in building/unit order."""
    if not 1 <= valid_days <= 366:
        raise InvitationError("bad_validity")
    if not 1 <= max_uses <= 20:
        raise InvitationError("bad_max_uses")
    query = (
        select(Unit.id, Building.name, Unit.number)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.community_id == community.id)
        .order_by(Building.name, Unit.floor, Unit.number)
    )
    if buildings:
        query = query.where(Building.name.in_(buildings))
    if only_vacant:
        occupied = select(Residency.unit_id).where(active_residency_clause())
        query = query.where(Unit.id.not_in(occupied))
    units = (await session.execute(query)).all()
    now = clock.now()
    expires = now + timedelta(days=valid_days)
    unit_ids = [u[0] for u in units]
    for start in range(0, len(unit_ids), 500):
        await session.execute(
            update(Invitation)
            .where(
                Invitation.unit_id.in_(unit_ids[start : start + 500]),
                Invitation.created_by_residency_id.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    issued: list[IssuedInvitation] = []
    pending: list[tuple[Invitation, tuple[Any, ...], str]] = []
    for unit_id, building, number in units:
        code = new_code()
        inv = Invitation(
            community_id=community.id,
            unit_id=unit_id,
            code_hash=hash_code(secret_key, code),
            role=None,
            max_uses=max_uses,
            uses=0,
            created_at=now,
            expires_at=expires,
        )
        session.add(inv)
        pending.append((inv, (unit_id, building, number), code))
        if len(pending) >= 500:
            issued.extend(await _flush_issued(session, pending, expires))
            if progress:
                progress(len(pending))
            pending = []
    if pending:
        issued.extend(await _flush_issued(session, pending, expires))
        if progress:
            progress(len(pending))
    await record_audit(
        session,
        "invitation.issued",
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        details={"count": len(issued), "valid_days": valid_days, "max_uses": max_uses},
    )
    return issued


async def _flush_issued(
    session: AsyncSession,
    pending: list[tuple[Invitation, tuple[Any, ...], str]],
    expires: datetime,
) -> list[IssuedInvitation]:
    await session.flush()
    return [
        IssuedInvitation(inv.id, unit[0], unit[1], unit[2], code, expires)
        for inv, unit, code in pending
    ]


async def create_family_invitation(
    session: AsyncSession,
    owner_residency: Residency,
    *,
    secret_key: str,
    clock: Clock,
) -> tuple[Invitation, str]:
    """A single-use invitation an owner forwards to one family member."""
    if (
        owner_residency.role != ResidencyRole.OWNER
        or owner_residency.status != ResidencyStatus.ACTIVE
    ):
        raise InvitationError("not_owner")
    unit = await session.get(Unit, owner_residency.unit_id)
    assert unit is not None
    code = new_code()
    now = clock.now()
    inv = Invitation(
        community_id=unit.community_id,
        unit_id=unit.id,
        code_hash=hash_code(secret_key, code),
        role=ResidencyRole.FAMILY,
        max_uses=1,
        uses=0,
        created_at=now,
        expires_at=now + timedelta(days=FAMILY_VALID_DAYS),
        created_by_person_id=owner_residency.person_id,
        created_by_residency_id=owner_residency.id,
    )
    session.add(inv)
    await session.flush()
    await record_audit(
        session,
        "invitation.family_created",
        community_id=unit.community_id,
        actor_person_id=owner_residency.person_id,
        target_type="unit",
        target_id=unit.id,
        details={"invitation_id": inv.id},
    )
    return inv, code
