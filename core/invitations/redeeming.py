"""Checking a typed code (wrong codes throttled per Telegram account) and redeeming it:
the person joins the unit with an ACTIVE residency."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.clock import Clock
from core.invitations.codes import (
    FAILURE_WINDOW,
    MAX_FAILURES,
    InvitationError,
    hash_code,
)
from core.models import (
    Residency,
    ResidencyRole,
    ResidencyStatus,
)
from core.movein_models import Invitation, InvitationFailure, InvitationRedemption
from core.residency import membership_clause


async def _throttled(session: AsyncSession, telegram_id: int, now: datetime) -> bool:
    failures = await session.scalar(
        select(func.count(InvitationFailure.id)).where(
            InvitationFailure.telegram_id == telegram_id,
            InvitationFailure.at > now - FAILURE_WINDOW,
        )
    )
    return (failures or 0) >= MAX_FAILURES


async def record_failure(session_factory: Any, telegram_id: int, now: datetime) -> None:
    """Count a wrong code in its own transaction (the caller's may roll back)."""
    async with session_factory() as own:
        own.add(InvitationFailure(telegram_id=telegram_id, at=now))
        await own.commit()


async def find_invitation(
    session: AsyncSession,
    code: str,
    *,
    secret_key: str,
    clock: Clock,
    telegram_id: int,
    person_id: int | None = None,
) -> Invitation:
    """The usable invitation behind ``code`` (normalized), or InvitationError.

    A wrong code is *not* recorded here (the caller records it in its own
    transaction with :func:`record_failure`, so a rollback cannot erase it).
    """
    now = clock.now()
    if await _throttled(session, telegram_id, now):
        raise InvitationError("throttled")
    inv = await session.scalar(
        select(Invitation).where(Invitation.code_hash == hash_code(secret_key, code))
    )
    if inv is None:
        raise InvitationError("invalid")
    if inv.revoked_at is not None:
        raise InvitationError("revoked")
    if inv.expires_at <= now:
        raise InvitationError("expired")
    if person_id is not None:
        if await session.scalar(
            select(InvitationRedemption.id).where(
                InvitationRedemption.invitation_id == inv.id,
                InvitationRedemption.person_id == person_id,
            )
        ):
            raise InvitationError("already_used_by_you")
        if await session.scalar(
            select(Residency.id).where(membership_clause(person_id, inv.unit_id))
        ):
            raise InvitationError("already_member")
    if inv.uses >= inv.max_uses:
        raise InvitationError("used_up")
    return inv


async def redeem_invitation(
    session: AsyncSession,
    invitation_id: int,
    person_id: int,
    *,
    role: ResidencyRole | None,
    end_date: date | None,
    today: date,
    clock: Clock,
) -> Residency:
    """Attach the person to the invitation's unit: an ACTIVE residency.

    The use counter is taken with a conditional UPDATE, so two people racing
    for the last use cannot both get it.
    """
    inv = await session.get(Invitation, invitation_id)
    if inv is None:
        raise InvitationError("invalid")
    now = clock.now()
    if inv.revoked_at is not None:
        raise InvitationError("revoked")
    if inv.expires_at <= now:
        raise InvitationError("expired")
    role = inv.role or role
    if role is None:
        raise InvitationError("role_required")
    if role == ResidencyRole.TENANT and (end_date is None or end_date <= today):
        raise InvitationError("end_date_required")
    if await session.scalar(select(Residency.id).where(membership_clause(person_id, inv.unit_id))):
        raise InvitationError("already_member")
    taken = await session.execute(
        update(Invitation)
        .where(
            Invitation.id == inv.id,
            Invitation.uses < Invitation.max_uses,
            Invitation.revoked_at.is_(None),
        )
        .values(uses=Invitation.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(taken, "rowcount", 0):
        raise InvitationError("used_up")
    await session.refresh(inv)
    residency = Residency(
        person_id=person_id,
        unit_id=inv.unit_id,
        role=role,
        status=ResidencyStatus.ACTIVE,
        start_date=today,
        end_date=end_date if role == ResidencyRole.TENANT else None,
        created_at=now,
        decided_at=now,
    )
    session.add(residency)
    await session.flush()
    session.add(
        InvitationRedemption(
            invitation_id=inv.id, person_id=person_id, residency_id=residency.id, at=now
        )
    )
    await session.flush()
    await record_audit(
        session,
        "invitation.redeemed",
        community_id=inv.community_id,
        actor_person_id=person_id,
        target_type="residency",
        target_id=residency.id,
        details={"invitation_id": inv.id, "unit_id": inv.unit_id, "role": role.value},
    )
    return residency
