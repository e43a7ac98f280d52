"""Revoking invitations: one, a unit's, and an owner's family invitations when their
residency ends (a hook registered at import); old failure records are purged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.clock import Clock
from core.invitations.codes import (
    FAILURE_WINDOW,
)
from core.lifecycle import on_residency_ended
from core.models import (
    Community,
    Residency,
)
from core.movein_models import Invitation, InvitationFailure


async def revoke_invitation(
    session: AsyncSession,
    invitation_id: int,
    *,
    clock: Clock,
    actor_person_id: int | None = None,
) -> bool:
    inv = await session.get(Invitation, invitation_id)
    if inv is None or inv.revoked_at is not None:
        return False
    inv.revoked_at = clock.now()
    await session.flush()
    await record_audit(
        session,
        "invitation.revoked",
        community_id=inv.community_id,
        actor_person_id=actor_person_id,
        target_type="invitation",
        target_id=inv.id,
    )
    return True


async def revoke_unit_invitations(
    session: AsyncSession,
    community: Community,
    *,
    clock: Clock,
    unit_ids: list[int] | None = None,
) -> int:
    """Revoke every open invitation of the given units (all units when None)."""
    stmt = update(Invitation).where(
        Invitation.community_id == community.id, Invitation.revoked_at.is_(None)
    )
    if unit_ids is not None:
        stmt = stmt.where(Invitation.unit_id.in_(unit_ids))
    result = await session.execute(stmt.values(revoked_at=clock.now()))
    count = int(getattr(result, "rowcount", 0) or 0)
    await record_audit(
        session,
        "invitation.revoked",
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        details={"count": count, "units": unit_ids},
    )
    return count


async def purge_failures(session: AsyncSession, now: datetime) -> None:
    await session.execute(
        delete(InvitationFailure).where(InvitationFailure.at < now - FAILURE_WINDOW)
    )


@on_residency_ended("movein.invitations")
async def _revoke_family_invitations(session: AsyncSession, residency: Residency) -> None:
    """An owner who moves out can no longer bring family members in."""
    await session.execute(
        update(Invitation)
        .where(
            Invitation.created_by_residency_id == residency.id,
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=residency.ended_at)
    )
