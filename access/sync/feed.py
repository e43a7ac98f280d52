"""What an agent may know: its gates and the passes that open them, nothing more.

An agent authenticates with its own key (``Authorization: Bearer ga_…``) and asks
for the changes since the version it holds (``since``), or for a snapshot (no
``since``). Either answer names only:

- the agent's gates (all of one community): the terminal key's hash under the
  community's credential key, driver settings with door secrets sealed again with the
  agent's secret, direction, emergency, the gate's offline policy;
- passes of that community that open one of those gates: their code and QR hashes
  under the community's credential key, window, worker hours, uses, presence — and a
  ``gone`` marker for a changed pass that no longer opens any of them;
- the community's residents' gate QR codes (:mod:`access.sync.residents`);
- for an agent with a vehicle gate, the community's residents' plates and plate
  lists, and the daily-help passes' households (:mod:`access.sync.plates`);
- the community's credential key, sealed with the agent's secret
  (:mod:`access.sync.keys`).

The version is the highest ``pass_changes`` id (a trigger on ``passes`` appends one
row per change). On PostgreSQL ids are taken before commit, so a change may commit
after a higher one was already read; the changes of the last 30 seconds are sent
again with every answer so such a late commit is not skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, text, update

from access.credentials import keyed_hash
from access.doors.sealing import open_driver_config, seal_driver_config
from access.gates import load_gate_sync
from access.models import Gate, Pass, PassStatus
from access.store import PASS_FIELDS
from access.sync.keys import agent_secret, community_credential_key, seal_for_agent
from access.sync.models import (
    DEFAULT_MAX_OFFLINE_MIN,
    DEFAULT_SINGLE_USE,
    GateAgent,
    GateOfflinePolicy,
    PassChange,
)
from access.sync.plates import households_feed, plate_feed
from access.sync.residents import resident_keys

_agents = cast(Table, GateAgent.__table__)
_changes = cast(Table, PassChange.__table__)
_passes = cast(Table, Pass.__table__)
_policy = cast(Table, GateOfflinePolicy.__table__)
_gate_rows = cast(Table, Gate.__table__)

# A changed-pass list longer than this is answered with a snapshot instead.
MAX_CHANGES = 5000
# A holder recorded inside may leave this long after the window (AccessPolicy).
EXIT_GRACE = timedelta(days=1)
PG_OVERLAP_S = 30


@dataclass(frozen=True)
class AgentInfo:
    id: int
    community_id: int
    name: str
    gate_ids: tuple[int, ...]
    api_key_hash: str
    active: bool
    secret_generation: int = 1


def hash_agent_key(secret_key: str, api_key: str) -> str:
    return keyed_hash(secret_key, "gate-agent", api_key)


def load_agent(conn: Connection, agent_id: int) -> AgentInfo | None:
    row = conn.execute(select(_agents).where(_agents.c.id == agent_id)).first()
    if row is None:
        return None
    return AgentInfo(
        id=row.id,
        community_id=row.community_id,
        name=row.name,
        gate_ids=tuple(int(g) for g in row.gate_ids or []),
        api_key_hash=row.api_key_hash,
        active=bool(row.active),
        secret_generation=int(row.secret_generation or 1),
    )


def community_version(conn: Connection, community_id: int) -> int:
    """The newest change to one of the community's passes (0: none kept)."""
    latest = conn.execute(
        select(func.max(_changes.c.id)).where(_changes.c.community_id == community_id)
    ).scalar()
    return int(latest or 0)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def pass_body(row: Any) -> dict[str, Any]:
    body = {name: getattr(row, name) for name in PASS_FIELDS}
    body["valid_from"] = _iso(row.valid_from)
    body["valid_until"] = _iso(row.valid_until)
    body["gate_ids"] = list(row.gate_ids or [])
    body["inside"] = bool(row.inside)
    # Only the hashes under the community's credential key: the agent never sees one
    # it could only check with the deployment's key.
    body["code_hash"] = row.offline_code_hash
    body["token_hash"] = row.offline_token_hash
    body["car_plate"] = row.car_plate  # a visitor's car opens a vehicle gate offline
    return body


def _opens_one_of(row: Any, gate_ids: tuple[int, ...]) -> bool:
    named = row.gate_ids or []
    return not named or any(int(g) in gate_ids for g in named)


def _gates(conn: Connection, agent: AgentInfo, secret_key: str) -> list[dict[str, Any]]:
    """The agent's gates: terminal keys as hashed for it, door settings sealed for it."""
    policies = {
        r.gate_id: r
        for r in conn.execute(select(_policy).where(_policy.c.gate_id.in_(agent.gate_ids)))
    }
    key_hashes: dict[int, str | None] = {
        row.id: row.offline_key_hash
        for row in conn.execute(
            select(_gate_rows.c.id, _gate_rows.c.offline_key_hash).where(
                _gate_rows.c.id.in_(agent.gate_ids)
            )
        )
    }
    secret = agent_secret(secret_key, agent.id, agent.secret_generation)
    result = []
    for gate_id in agent.gate_ids:
        gate = load_gate_sync(conn, gate_id)
        if gate is None or gate.community_id != agent.community_id:
            continue  # never another community's gate, whatever the row says
        policy = policies.get(gate_id)
        result.append(
            {
                "id": gate.id,
                "community_id": gate.community_id,
                "name": gate.name,
                "kind": gate.kind,
                "driver": gate.driver,
                "driver_config": seal_driver_config(
                    open_driver_config(gate.driver_config, secret_key), secret
                ),
                # A gate whose key predates agents' own keys: not checkable offline.
                "api_key_hash": key_hashes.get(gate_id) or "",
                "active": gate.active,
                "timezone": gate.timezone,
                "community_name": gate.community_name,
                "emergency": gate.emergency,
                "direction": gate.direction,
                "offline_single_use": policy.single_use if policy else DEFAULT_SINGLE_USE.value,
                "offline_max_min": policy.max_offline_min if policy else DEFAULT_MAX_OFFLINE_MIN,
            }
        )
    return result


def _pass_query() -> Any:
    return select(
        *(_passes.c[n] for n in PASS_FIELDS),
        _passes.c.offline_code_hash,
        _passes.c.offline_token_hash,
        _passes.c.car_plate,
    )


def feed(
    conn: Connection, agent: AgentInfo, since: int | None, now: datetime, secret_key: str
) -> dict[str, Any]:
    """The agent's snapshot (``since`` None) or its changes since ``since``."""
    oldest, newest = conn.execute(select(func.min(_changes.c.id), func.max(_changes.c.id))).one()
    version = int(newest or 0)
    # A version from before the oldest change kept (pruned) or from another database.
    full = since is None or since > version or (oldest is not None and since < oldest - 1)
    passes: list[dict[str, Any]] = []
    changed_keys: list[int] | None = None
    if not full:
        where = _changes.c.id > since
        if conn.dialect.name == "postgresql":
            late = text(f"pass_changes.at > clock_timestamp() - interval '{PG_OVERLAP_S} seconds'")
            where = where | late
        change_rows = conn.execute(
            select(_changes.c.pass_id, _changes.c.resident_key_id)
            .where(_changes.c.community_id == agent.community_id, where)
            .distinct()
            .limit(MAX_CHANGES + 1)
        ).all()
        changed = sorted({r.pass_id for r in change_rows if r.resident_key_id is None})
        changed_keys = sorted(
            {r.resident_key_id for r in change_rows if r.resident_key_id is not None}
        )
        if len(change_rows) > MAX_CHANGES:
            full = True
        else:
            rows = conn.execute(_pass_query().where(_passes.c.id.in_(changed))).all()
            for row in rows:
                if row.community_id == agent.community_id and _opens_one_of(row, agent.gate_ids):
                    passes.append(pass_body(row))
                else:
                    passes.append({"id": row.id, "gone": True})
    if full:
        rows = conn.execute(
            _pass_query().where(
                _passes.c.community_id == agent.community_id,
                _passes.c.status == PassStatus.ACTIVE.value,
                _passes.c.valid_until > now - EXIT_GRACE,
            )
        ).all()
        passes = [pass_body(r) for r in rows if _opens_one_of(r, agent.gate_ids)]
    conn.execute(update(_agents).where(_agents.c.id == agent.id).values(last_sync_at=now))
    secret = agent_secret(secret_key, agent.id, agent.secret_generation)
    credential_key = community_credential_key(secret_key, agent.community_id)
    gates = _gates(conn, agent, secret_key)
    return {
        "agent_id": agent.id,
        "community_id": agent.community_id,
        "version": version,
        "full": full,
        "server_time": now.isoformat(),
        "gates": gates,
        "passes": passes,
        "plates": plate_feed(conn, agent.community_id, gates, now),
        "households": households_feed(conn, agent.community_id, now),
        "residents": resident_keys(conn, agent.community_id, None if full else changed_keys, now),
        # Sealed with the agent's own secret: an intercepted feed or a stolen agent key
        # alone does not give it.
        "sealed": seal_for_agent(secret, {"credential_key": credential_key}),
    }
