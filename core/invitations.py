"""Invitations: a code that attaches a person to a unit without staff review.

Public API:

- :func:`issue_unit_invitations` — one letterbox invitation per unit (the CLI's
  ``courtyard invites``). Re-issuing revokes the unit's earlier open letterbox
  invitations, so a lost letter cannot be used once a new one is printed.
- :func:`create_family_invitation` — an owner invites one family member.
- :func:`find_invitation` — check a typed code or a deep-link payload.
- :func:`redeem_invitation` — the person joins the unit (an ACTIVE residency).
- :func:`revoke_invitation`, :func:`revoke_unit_invitations`.
- :func:`deep_link_payload` / :func:`code_from_payload` — ``/start i_<code>``.

Codes are 10 characters of Crockford's base32 (50 random bits from
:mod:`secrets`), shown as ``ABCDE-FGHJK``. Only an HMAC-SHA256 of the code with
the deployment's secret key is stored, so a database leak reveals no usable
code. An invitation may be redeemed by up to ``max_uses`` household members,
each once; wrong codes are throttled per Telegram account.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.clock import Clock
from core.lifecycle import on_residency_ended
from core.models import (
    Building,
    Community,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from core.movein_models import Invitation, InvitationFailure, InvitationRedemption

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 10
PAYLOAD_PREFIX = "i_"
DEFAULT_VALID_DAYS = 60
DEFAULT_HOUSEHOLD_USES = 6
FAMILY_VALID_DAYS = 7
# Throttle: at most this many wrong codes per account in the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_TYPO = str.maketrans({"I": "1", "L": "1", "O": "0"})
_CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


class InvitationError(Exception):
    """``code``: invalid, expired, revoked, used_up, already_member, throttled,
    unit_gone, role_required, not_owner, end_date_required."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """A typed code as the canonical 10 characters, or None if it cannot be one.

    Spaces and dashes are ignored; I/L and O are read as 1 and 0, the usual
    misreadings of a printed code.
    """
    cleaned = re.sub(r"[\s\-_]", "", text).upper().translate(_TYPO)
    return cleaned if _CODE_RE.match(cleaned) else None


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def hash_code(secret_key: str, code: str) -> str:
    return hmac.new(secret_key.encode(), code.encode(), hashlib.sha256).hexdigest()


def deep_link_payload(code: str) -> str:
    return PAYLOAD_PREFIX + code


def code_from_payload(payload: str | None) -> str | None:
    if not payload or not payload.startswith(PAYLOAD_PREFIX):
        return None
    return normalize_code(payload[len(PAYLOAD_PREFIX) :])


# --- issuing ------------------------------------------------------------------------


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
        occupied = select(Residency.unit_id).where(Residency.status == ResidencyStatus.ACTIVE)
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


# --- checking and redeeming -----------------------------------------------------------


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
            select(Residency.id).where(
                Residency.person_id == person_id,
                Residency.unit_id == inv.unit_id,
                Residency.status.in_([ResidencyStatus.ACTIVE, ResidencyStatus.PENDING]),
            )
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
    if await session.scalar(
        select(Residency.id).where(
            Residency.person_id == person_id,
            Residency.unit_id == inv.unit_id,
            Residency.status.in_([ResidencyStatus.ACTIVE, ResidencyStatus.PENDING]),
        )
    ):
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


# --- revoking -------------------------------------------------------------------------


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
