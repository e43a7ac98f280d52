"""A gate's liveness policy and its challenges, in the database.

- The policy: :class:`~access.faces.models.FaceGateLiveness`, one row per gate that has
  an explicit choice; no row means :data:`~access.faces.liveness.DEFAULT_MODE`. Setting
  ``off`` needs ``accept_risk`` and a name; every change is audited.
- Challenges: a random action and a random token (only its SHA-256 is stored), valid
  for :data:`~access.faces.liveness.CHALLENGE_TTL_S`, redeemed once by one conditional
  UPDATE — two terminals presenting the same token cannot both use it, on SQLite or
  PostgreSQL. Old rows are swept when new ones are issued.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.liveness import (
    CHALLENGE_TTL_S,
    DEFAULT_MODE,
    Action,
    LivenessMode,
)
from access.faces.models import FaceChallenge, FaceGateLiveness
from access.faces.store.common import FaceError
from access.models import Gate
from core.audit import record_audit

POLICIES = cast(Table, FaceGateLiveness.__table__)
CHALLENGES = cast(Table, FaceChallenge.__table__)
_SWEEP_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class LivenessPolicy:
    mode: LivenessMode
    capable_terminals: frozenset[str]
    chosen_by: str = ""


DEFAULT_POLICY = LivenessPolicy(DEFAULT_MODE, frozenset())


def policy_tx(conn: Connection, gate_id: int) -> LivenessPolicy:
    row = conn.execute(
        select(POLICIES.c.mode, POLICIES.c.capable_terminals, POLICIES.c.chosen_by).where(
            POLICIES.c.gate_id == gate_id
        )
    ).first()
    if row is None:
        return DEFAULT_POLICY
    return LivenessPolicy(
        LivenessMode(row.mode), frozenset(row.capable_terminals or ()), row.chosen_by
    )


async def gate_policy(session: AsyncSession, gate_id: int) -> LivenessPolicy:
    row = await session.get(FaceGateLiveness, gate_id)
    if row is None:
        return DEFAULT_POLICY
    return LivenessPolicy(LivenessMode(row.mode), frozenset(row.capable_terminals), row.chosen_by)


async def set_gate_policy(
    session: AsyncSession,
    *,
    gate_id: int,
    mode: LivenessMode,
    capable_terminals: list[str],
    chosen_by: str,
    accept_risk: bool,
    now: datetime,
    community_id: int | None = None,
    actor_person_id: int | None = None,
) -> LivenessPolicy:
    """Choose a gate's liveness mode. ``off`` only with ``accept_risk`` and a name:
    with it, a printed photo or a phone screen showing a resident opens the gate."""
    gate = await session.get(Gate, gate_id)
    if gate is None or (community_id is not None and gate.community_id != community_id):
        raise FaceError("unknown_gate")
    if mode == LivenessMode.OFF and (not accept_risk or not chosen_by.strip()):
        raise FaceError("risk_not_accepted")
    if mode == LivenessMode.TERMINAL and not capable_terminals:
        raise FaceError("no_capable_terminal")
    terminals = sorted(set(capable_terminals)) if mode == LivenessMode.TERMINAL else []
    row = await session.get(FaceGateLiveness, gate_id)
    if row is None:
        row = FaceGateLiveness(gate_id=gate_id)
        session.add(row)
    row.mode = mode.value
    row.capable_terminals = terminals
    row.chosen_by = chosen_by.strip()[:120]
    row.chosen_at = now
    await record_audit(
        session,
        "faces.liveness",
        community_id=gate.community_id,
        actor_person_id=actor_person_id,
        target_type="gate",
        target_id=gate_id,
        details={"mode": mode.value, "terminals": terminals, "by": row.chosen_by},
    )
    await session.flush()
    return LivenessPolicy(mode, frozenset(terminals), row.chosen_by)


async def community_gate_policies(
    session: AsyncSession, community_id: int
) -> list[tuple[int, str, LivenessPolicy]]:
    """Each active gate of the community with its liveness policy, by name (for staff)."""
    rows = (
        await session.execute(
            select(Gate.id, Gate.name)
            .where(Gate.community_id == community_id, Gate.active.is_(True))
            .order_by(Gate.name)
        )
    ).all()
    return [(gate_id, name, await gate_policy(session, gate_id)) for gate_id, name in rows]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Challenge:
    token: str
    action: Action
    expires_at: datetime


def issue_challenge_tx(conn: Connection, gate_id: int, now: datetime) -> Challenge:
    """A new random action for the gate's terminal, with its single-use token."""
    conn.execute(delete(CHALLENGES).where(CHALLENGES.c.expires_at < now - _SWEEP_AFTER))
    action = secrets.choice(list(Action))
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(seconds=CHALLENGE_TTL_S)
    conn.execute(
        insert(CHALLENGES).values(
            gate_id=gate_id,
            token_hash=_digest(token),
            action=action.value,
            issued_at=now,
            expires_at=expires,
        )
    )
    return Challenge(token, action, expires)


def redeem_challenge_tx(conn: Connection, gate_id: int, token: str, now: datetime) -> Action | None:
    """The challenge's action, once: None when unknown, expired, used or another gate's."""
    digest = _digest(token)
    changed = conn.execute(
        update(CHALLENGES)
        .where(
            CHALLENGES.c.token_hash == digest,
            CHALLENGES.c.gate_id == gate_id,
            CHALLENGES.c.used_at.is_(None),
            CHALLENGES.c.expires_at > now,
        )
        .values(used_at=now)
    )
    if getattr(changed, "rowcount", 0) != 1:
        return None
    action = conn.execute(
        select(CHALLENGES.c.action).where(CHALLENGES.c.token_hash == digest)
    ).scalar_one()
    return Action(action)
