"""Passes once issued: revoke, a resident's passes and their use, the share link, expiry,
the overstay alert, and revocation when a residency ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import (
    CredentialError,
    hash_share_key,
    is_share_key_shaped,
    open_credentials,
)
from access.models import AccessLogEntry, Gate, Pass, PassKind, PassStatus
from access.passes.issuing import gates_of
from access.passes.rules import (
    AccessSettings,
    PassError,
)
from core.db import utcnow
from core.models import Community, Residency


@dataclass(frozen=True)
class SharedPass:
    """What a visitor sees after opening the share link."""

    pass_: Pass
    community: Community
    code: str
    token: str
    gate_names: list[str]


async def revoke_pass(
    session: AsyncSession,
    *,
    now: datetime,
    pass_id: int,
    by_person_id: int | None,
    reason: str,
    host_person_id: int | None = None,
    community_id: int | None = None,
) -> Pass:
    """Revoke at once: the next decision at any gate refuses it (no cache in between)."""
    conditions = [Pass.id == pass_id, Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING])]
    if host_person_id is not None:
        conditions.append(Pass.host_person_id == host_person_id)
    if community_id is not None:
        conditions.append(Pass.community_id == community_id)
    result = await session.execute(
        update(Pass)
        .where(*conditions)
        .values(
            status=PassStatus.REVOKED,
            revoked_at=now,
            revoked_by_person_id=by_person_id,
            revoke_reason=reason[:40],
        )
        .execution_options(synchronize_session=False)
    )
    row = await session.get(Pass, pass_id, populate_existing=True)
    if row is None or (host_person_id is not None and row.host_person_id != host_person_id):
        raise PassError("not_found")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PassError("not_active", status=row.status.value)
    return row


async def get_pass(session: AsyncSession, pass_id: int) -> Pass | None:
    return await session.get(Pass, pass_id)


async def my_passes(session: AsyncSession, person_id: int, now: datetime) -> list[Pass]:
    """Passes a resident can still do something about: active and pending, not yet over."""
    return list(
        (
            await session.scalars(
                select(Pass)
                .where(
                    Pass.host_person_id == person_id,
                    Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
                    Pass.valid_until > now,
                    # Shared by households, each suspends it for itself (/dailyhelp).
                    Pass.kind != PassKind.DAILY_HELP,
                )
                .order_by(Pass.valid_from, Pass.id)
            )
        ).all()
    )


@dataclass(frozen=True)
class UseRecord:
    at: datetime
    gate_name: str
    granted: bool
    reason: str
    direction: str
    holder_name: str
    pass_id: int | None
    pass_kind: str | None


async def pass_history(session: AsyncSession, person_id: int, limit: int = 20) -> list[UseRecord]:
    """Who used my passes: the access log rows of passes this person issued."""
    rows = (
        await session.execute(
            select(AccessLogEntry, Gate.name, Pass.kind)
            .join(Pass, Pass.id == AccessLogEntry.pass_id)
            .outerjoin(Gate, Gate.id == AccessLogEntry.gate_id)
            .where(Pass.host_person_id == person_id)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        UseRecord(
            at=entry.at,
            gate_name=gate_name or "",
            granted=entry.granted,
            reason=entry.reason,
            direction=entry.direction,
            holder_name=entry.holder_name,
            pass_id=entry.pass_id,
            pass_kind=str(kind) if kind else None,
        )
        for entry, gate_name, kind in rows
    ]


async def open_shared_pass(
    session: AsyncSession, *, secret_key: str, share_key: str, now: datetime
) -> SharedPass:
    """The pass behind a share link, with its code and QR token decrypted."""
    if not is_share_key_shaped(share_key):
        raise PassError("unknown")
    row = await session.scalar(
        select(Pass).where(Pass.share_hash == hash_share_key(secret_key, share_key))
    )
    if row is None or row.share_blob is None:
        raise PassError("unknown")
    if row.status == PassStatus.REVOKED:
        raise PassError("revoked")
    if row.status == PassStatus.EXPIRED or row.valid_until <= now:
        raise PassError("expired")
    if row.max_uses is not None and row.uses_count >= row.max_uses:
        raise PassError("used")
    try:
        code, token = open_credentials(secret_key, share_key, row.share_blob)
    except CredentialError:
        raise PassError("unknown") from None
    community = await session.get(Community, row.community_id)
    assert community is not None
    gates = await gates_of(session, row.community_id)
    names = [g.name for g in gates if not row.gate_ids or g.id in row.gate_ids]
    return SharedPass(row, community, code, token, names)


async def expire_passes(session: AsyncSession, now: datetime) -> int:
    """Mark passes whose window is over; frees their codes for reuse."""
    result = await session.execute(
        update(Pass)
        .where(
            Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
            Pass.valid_until <= now,
        )
        .values(status=PassStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim_overstays(session: AsyncSession, now: datetime) -> list[Pass]:
    """Visitors recorded entering and not leaving, past their window plus the grace.

    Each is claimed with a conditional UPDATE, so two schedulers never alert twice.
    """
    candidates = (
        await session.execute(
            select(Pass, Community)
            .join(Community, Community.id == Pass.community_id)
            .where(
                # Workers come and go over days; the alert is about a visitor's stay.
                Pass.kind == PassKind.VISITOR,
                Pass.inside.is_(True),
                Pass.overstay_notified_at.is_(None),
                Pass.valid_until <= now,
                Pass.status.in_([PassStatus.ACTIVE, PassStatus.EXPIRED]),
            )
            .limit(500)
        )
    ).all()
    claimed: list[Pass] = []
    for row, community in candidates:
        settings = AccessSettings.of(community)
        if not settings.overstay_alert:
            continue
        if row.valid_until + timedelta(minutes=settings.overstay_grace_min) > now:
            continue
        result = await session.execute(
            update(Pass)
            .where(Pass.id == row.id, Pass.overstay_notified_at.is_(None))
            .values(overstay_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    return claimed


async def revoke_passes_of_residency(session: AsyncSession, residency: Residency) -> None:
    """Moving out ends every pass the person issued for that home, workers' included;
    a daily-help pass other households share goes on for them (their household link
    dies with the residency, see :mod:`access.passes.shared`)."""
    await session.execute(
        update(Pass)
        .where(
            Pass.host_person_id == residency.person_id,
            Pass.host_unit_id == residency.unit_id,
            Pass.kind != PassKind.DAILY_HELP,
            Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
        )
        .values(
            status=PassStatus.REVOKED,
            revoked_at=residency.ended_at or utcnow(),
            revoke_reason="residency_ended",
        )
        .execution_options(synchronize_session=False)
    )
