"""The letterbox invitations the page hands out: which still work, and topping them up."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.state import DemoInvitation, SandboxState
from core.clock import Clock
from core.invitations import issue_unit_invitations
from core.models import Building, Community
from core.movein_models import Invitation

# Letterbox invitations the page offers; topped up when fewer are usable.
KEPT_INVITATIONS = 3
INVITATION_DAYS = 366


async def usable_invitation_ids(
    session: AsyncSession, state: SandboxState, clock: Clock
) -> set[int]:
    """Which of the kept invitations could still bring someone in."""
    ids = [i.invitation_id for i in state.invitations]
    if not ids:
        return set()
    rows = (await session.scalars(select(Invitation).where(Invitation.id.in_(ids)))).all()
    now = clock.now()
    return {
        inv.id
        for inv in rows
        if inv.revoked_at is None and inv.expires_at > now and inv.uses < inv.max_uses
    }


async def top_up_invitations(
    session: AsyncSession, state: SandboxState, *, secret_key: str, clock: Clock
) -> None:
    """Keep a few letterbox invitations of empty flats for the page to hand out."""
    usable = await usable_invitation_ids(session, state, clock)
    unused = await _unused_ids(session, usable)
    if len(unused) >= KEPT_INVITATIONS:
        state.invitations = [i for i in state.invitations if i.invitation_id in usable]
        return
    community = await session.get(Community, state.community_id)
    assert community is not None
    building = await session.scalar(
        select(Building)
        .where(Building.community_id == community.id)
        .order_by(Building.id.desc())
        .limit(1)
    )
    issued = await issue_unit_invitations(
        session,
        community,
        secret_key=secret_key,
        clock=clock,
        buildings=[building.name] if building else None,
        only_vacant=True,
        valid_days=INVITATION_DAYS,
    )
    fresh = [
        DemoInvitation(i.invitation_id, f"{i.building}-{i.unit}", i.code)
        for i in issued[:KEPT_INVITATIONS]
    ]
    # Re-issuing revoked the building's older letters: keep only what still works.
    still = await usable_invitation_ids(session, state, clock)
    state.invitations = [i for i in state.invitations if i.invitation_id in still] + fresh


async def _unused_ids(session: AsyncSession, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    rows = (await session.scalars(select(Invitation).where(Invitation.id.in_(ids)))).all()
    return {inv.id for inv in rows if inv.uses == 0}
