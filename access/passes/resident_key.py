"""A resident's personal gate QR (decision 0025): the credential of their own that a
gate agent can check when the server is away.

- :func:`show_resident_key` draws a new token (``secrets``), stores it only hashed —
  with the secret key for the server, with the community's credential key for its
  gate agents — and revokes the previous one: only the QR shown last opens.
- :func:`revoke_resident_keys_of_residency` runs when the residency ends (the hook is
  registered with the tables, :mod:`access.models`); the server refuses the QR at
  once (the residency rule), agents within their sync interval.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import hash_token, new_token
from access.models import ResidentGateKey
from access.passes.rules import PassError
from access.sync.keys import offline_token_hash
from core.db import utcnow
from core.models import Community, Residency, Unit
from core.residency import active_residency_clause


async def show_resident_key(
    session: AsyncSession, *, secret_key: str, now: datetime, person_id: int, community_id: int
) -> str:
    """A fresh gate QR token for a resident of the community; the old one stops working."""
    community = await session.get(Community, community_id)
    if community is None:
        raise PassError("not_resident")
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    unit_id = await session.scalar(
        select(Residency.unit_id)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(
            active_residency_clause(today, person_id=person_id), Unit.community_id == community_id
        )
        .order_by(Residency.id)
        .limit(1)
    )
    if unit_id is None:
        raise PassError("not_resident")
    await session.execute(
        update(ResidentGateKey)
        .where(
            ResidentGateKey.person_id == person_id,
            ResidentGateKey.community_id == community_id,
            ResidentGateKey.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = new_token()
    session.add(
        ResidentGateKey(
            community_id=community_id,
            person_id=person_id,
            unit_id=unit_id,
            token_hash=hash_token(secret_key, token),
            offline_token_hash=offline_token_hash(secret_key, community_id, token),
            created_at=now,
        )
    )
    await session.flush()
    return token


async def revoke_resident_keys_of_residency(session: AsyncSession, residency: Residency) -> None:
    await session.execute(
        update(ResidentGateKey)
        .where(
            ResidentGateKey.person_id == residency.person_id,
            ResidentGateKey.unit_id == residency.unit_id,
            ResidentGateKey.revoked_at.is_(None),
        )
        .values(revoked_at=residency.ended_at or utcnow())
        .execution_options(synchronize_session=False)
    )
