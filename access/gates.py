"""Gates: configuration, API keys, and a small read-through cache of them.

A gate is created by the operator (``courtyard gate add``). Its API key is
printed once and stored only as a keyed hash; rotating it invalidates the old
one within :data:`CACHE_TTL_S`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import api_key_matches, hash_api_key, new_api_key
from access.doors import validate_driver_config
from access.doors.sealing import seal_driver_config
from access.models import DoorDriverKind, Emergency, Gate, GateDirection, GateKind, GateThrottle
from access.sync.keys import offline_key_hash
from core.models import Community

# How long a process trusts what it read about a gate (key, driver, emergency).
CACHE_TTL_S = 2.0


class GateError(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class GateInfo:
    id: int
    community_id: int
    name: str
    kind: str
    driver: str
    driver_config: dict[str, Any] = field(hash=False)
    api_key_hash: str
    active: bool
    timezone: str
    community_name: str
    emergency: bool
    # GateDirection: "both", or "in"/"out" for a gate that serves one way only.
    direction: str = "both"


_gates = cast(Table, Gate.__table__)
_communities = cast(Table, Community.__table__)
_emergencies = cast(Table, Emergency.__table__)


def _gate_query() -> Any:
    open_emergency = (
        exists()
        .where(
            _emergencies.c.community_id == _gates.c.community_id,
            _emergencies.c.ended_at.is_(None),
        )
        .label("emergency")
    )
    return select(
        _gates.c.id,
        _gates.c.community_id,
        _gates.c.name,
        _gates.c.kind,
        _gates.c.driver,
        _gates.c.driver_config,
        _gates.c.api_key_hash,
        _gates.c.active,
        _gates.c.direction,
        _communities.c.timezone,
        _communities.c.name.label("community_name"),
        open_emergency,
    ).join(_communities, _communities.c.id == _gates.c.community_id)


def _info(row: Any) -> GateInfo:
    return GateInfo(
        id=row.id,
        community_id=row.community_id,
        name=row.name,
        kind=str(row.kind),
        driver=str(row.driver),
        driver_config=dict(row.driver_config or {}),
        api_key_hash=row.api_key_hash,
        active=bool(row.active),
        timezone=row.timezone,
        community_name=row.community_name,
        emergency=bool(row.emergency),
        direction=str(row.direction),
    )


def load_gate_sync(conn: Connection, gate_id: int) -> GateInfo | None:
    row = conn.execute(_gate_query().where(_gates.c.id == gate_id)).first()
    return _info(row) if row is not None else None


async def load_gate(session: AsyncSession, gate_id: int) -> GateInfo | None:
    row = (await session.execute(_gate_query().where(_gates.c.id == gate_id))).first()
    return _info(row) if row is not None else None


async def community_gates(
    session: AsyncSession, community_id: int, *, active_only: bool = True
) -> list[GateInfo]:
    query = _gate_query().where(_gates.c.community_id == community_id)
    if active_only:
        query = query.where(_gates.c.active.is_(True))
    rows = (await session.execute(query.order_by(_gates.c.name))).all()
    return [_info(r) for r in rows]


async def gate_by_name(session: AsyncSession, community_id: int, name: str) -> GateInfo | None:
    """A gate of the community by its name, case-insensitively (as typed in /open)."""
    wanted = name.strip().casefold()
    for gate in await community_gates(session, community_id):
        if gate.name.casefold() == wanted:
            return gate
    return None


def authenticate(gate: GateInfo, secret_key: str, api_key: str) -> bool:
    return gate.active and api_key_matches(secret_key, api_key, gate.api_key_hash)


@dataclass(frozen=True)
class CreatedGate:
    gate: Gate
    api_key: str


async def create_gate(
    session: AsyncSession,
    *,
    secret_key: str,
    community_id: int,
    name: str,
    kind: GateKind = GateKind.PEDESTRIAN,
    driver: DoorDriverKind = DoorDriverKind.SIMULATED,
    driver_config: dict[str, Any] | None = None,
    direction: GateDirection = GateDirection.BOTH,
) -> CreatedGate:
    """Add a gate; the returned API key is never stored and cannot be shown again."""
    name = name.strip()
    if not name or len(name) > 60:
        raise GateError("bad_name", "a gate name is 1 to 60 characters")
    config = dict(driver_config or {})
    validate_driver_config(driver.value, config)
    taken = await session.scalar(
        select(Gate.id).where(Gate.community_id == community_id, Gate.name == name)
    )
    if taken is not None:
        raise GateError("duplicate", f"the community already has a gate named {name!r}")
    api_key = new_api_key()
    gate = Gate(
        community_id=community_id,
        name=name,
        kind=kind,
        driver=driver,
        driver_config=seal_driver_config(config, secret_key),  # no door secret in clear
        api_key_hash=hash_api_key(secret_key, api_key),
        offline_key_hash=offline_key_hash(secret_key, community_id, api_key),
        active=True,
        direction=direction,
    )
    session.add(gate)
    await session.flush()
    session.add(GateThrottle(gate_id=gate.id))
    await session.flush()
    return CreatedGate(gate=gate, api_key=api_key)


async def seal_stored_door_secrets(session: AsyncSession, *, secret_key: str) -> list[int]:
    """Seal door secrets stored in clear by an older version; returns the gates changed."""
    changed = []
    for gate in (await session.scalars(select(Gate).order_by(Gate.id))).all():
        sealed = seal_driver_config(dict(gate.driver_config or {}), secret_key)
        if sealed != gate.driver_config:
            gate.driver_config = sealed
            changed.append(gate.id)
    await session.flush()
    return changed


async def rotate_gate_key(session: AsyncSession, *, secret_key: str, gate_id: int) -> str:
    gate = await session.get(Gate, gate_id)
    if gate is None:
        raise GateError("not_found", "no such gate")
    api_key = new_api_key()
    gate.api_key_hash = hash_api_key(secret_key, api_key)
    gate.offline_key_hash = offline_key_hash(secret_key, gate.community_id, api_key)
    await session.flush()
    return api_key


class GateDirectory:
    """Gate lookups for the hot path, cached for :data:`CACHE_TTL_S` seconds."""

    def __init__(self, runner: Any, ttl_s: float = CACHE_TTL_S) -> None:
        self._runner = runner
        self._ttl = ttl_s
        self._cache: dict[int, tuple[float, GateInfo | None]] = {}

    async def get(self, gate_id: int) -> GateInfo | None:
        now = time.monotonic()
        hit = self._cache.get(gate_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        info = await self._runner.run(load_gate_sync, gate_id, readonly=True)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[gate_id] = (now + self._ttl, info)
        return info

    def invalidate(self, gate_id: int | None = None) -> None:
        if gate_id is None:
            self._cache.clear()
        else:
            self._cache.pop(gate_id, None)
