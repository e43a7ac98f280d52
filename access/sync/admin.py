"""Operator actions on gate agents: add one (its key shown once), set a gate's offline
policy, read the figures staff see when revoking."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateError
from access.models import Gate
from access.sync.feed import hash_agent_key
from access.sync.keys import agent_secret
from access.sync.models import (
    DEFAULT_MAX_OFFLINE_MIN,
    DEFAULT_SINGLE_USE,
    GateAgent,
    GateOfflinePolicy,
    OfflineSingleUse,
    PassChange,
)

AGENT_KEY_BYTES = 32
# How often an agent asks the server for changes (the revocation latency at the door).
DEFAULT_SYNC_INTERVAL_S = 5


def new_agent_key() -> str:
    return "ga_" + secrets.token_urlsafe(AGENT_KEY_BYTES)


@dataclass(frozen=True)
class CreatedAgent:
    id: int
    api_key: str
    gate_ids: list[int]
    # The agent's own secret (access.sync.keys): all the box needs besides its key.
    secret: str


async def create_agent(
    session: AsyncSession, *, secret_key: str, community_id: int, name: str, gate_ids: list[int]
) -> CreatedAgent:
    """An agent for some gates of one community; the key is never stored."""
    name = name.strip()
    if not name or len(name) > 60:
        raise GateError("bad_name", "an agent name is 1 to 60 characters")
    if not gate_ids:
        raise GateError("no_gates", "an agent serves at least one gate")
    found = set(
        (
            await session.scalars(
                select(Gate.id).where(Gate.id.in_(gate_ids), Gate.community_id == community_id)
            )
        ).all()
    )
    if found != set(gate_ids):
        raise GateError("bad_gate", "every gate must belong to the agent's community")
    key = new_agent_key()
    agent = GateAgent(
        community_id=community_id,
        name=name,
        api_key_hash=hash_agent_key(secret_key, key),
        gate_ids=sorted(found),
        active=True,
        secret_generation=1,
    )
    session.add(agent)
    await session.flush()
    secret = agent_secret(secret_key, agent.id, agent.secret_generation or 1)
    return CreatedAgent(agent.id, key, sorted(found), secret)


async def disable_agent(session: AsyncSession, agent_id: int) -> None:
    """A lost or stolen box: its key no longer syncs or uploads (401)."""
    agent = await session.get(GateAgent, agent_id)
    if agent is None:
        raise GateError("not_found", "no such gate agent")
    agent.active = False
    await session.flush()


async def rotate_agent_secret(session: AsyncSession, *, secret_key: str, agent_id: int) -> str:
    """A new generation of the agent's secret; what the server sends is sealed with it."""
    agent = await session.get(GateAgent, agent_id)
    if agent is None:
        raise GateError("not_found", "no such gate agent")
    agent.secret_generation = (agent.secret_generation or 1) + 1
    await session.flush()
    return agent_secret(secret_key, agent.id, agent.secret_generation)


async def set_offline_policy(
    session: AsyncSession,
    gate_id: int,
    *,
    single_use: OfflineSingleUse | None = None,
    max_offline_min: int | None = None,
) -> GateOfflinePolicy:
    row = await session.get(GateOfflinePolicy, gate_id)
    if row is None:
        row = GateOfflinePolicy(
            gate_id=gate_id,
            single_use=DEFAULT_SINGLE_USE.value,
            max_offline_min=DEFAULT_MAX_OFFLINE_MIN,
        )
        session.add(row)
    if single_use is not None:
        row.single_use = single_use.value
    if max_offline_min is not None:
        if not 0 <= max_offline_min <= 7 * 24 * 60:
            raise GateError("bad_offline_time", "the offline time is 0 to 10080 minutes")
        row.max_offline_min = max_offline_min
    await session.flush()
    return row


async def community_has_agents(session: AsyncSession, community_id: int) -> bool:
    """Whether revocations here reach gates through agents (staff are told the delay)."""
    count = await session.scalar(
        select(func.count())
        .select_from(GateAgent)
        .where(GateAgent.community_id == community_id, GateAgent.active.is_(True))
    )
    return bool(count)


# Changes older than this are deleted; an agent whose version is older takes a snapshot.
KEEP_CHANGES = timedelta(days=7)


async def prune_pass_changes(session: AsyncSession, now: datetime) -> int:
    """Forget old pass changes, keeping the newest row (the version never goes back)."""
    newest = select(func.max(PassChange.id)).scalar_subquery()
    result = await session.execute(
        delete(PassChange).where(PassChange.at < now - KEEP_CHANGES, PassChange.id < newest)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
