"""Fixtures for the gate access module: a community with gates, a resident, the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from access.gates import GateInfo, create_gate
from access.models import DoorDriverKind, GateKind
from access.service import AccessRuntime
from access.throttle import Lockout
from access.walkins.service import WalkinDesk
from core.clock import FrozenClock
from core.models import Community, Person, Unit
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_unit

# A Wednesday, 10:00 in Shanghai.
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@dataclass
class RecordingNotifier:
    lockouts: list[tuple[GateInfo, Lockout]] = field(default_factory=list)
    door_failures: list[Any] = field(default_factory=list)
    alarms: list[Any] = field(default_factory=list)
    uses: list[Any] = field(default_factory=list)
    rings: list[Any] = field(default_factory=list)
    parking: list[Any] = field(default_factory=list)

    async def lockout(self, gate: GateInfo, lockout: Lockout) -> None:
        self.lockouts.append((gate, lockout))

    async def door_failed(self, failure: Any) -> None:
        self.door_failures.append(failure)

    async def gate_alarm(self, alarm: Any) -> None:
        self.alarms.append(alarm)

    async def pass_used(self, gate: GateInfo, decision: Any) -> None:
        self.uses.append((gate, decision))

    async def ring_host(self, gate: GateInfo, ring: Any) -> None:
        self.rings.append((gate, ring))

    async def parking_due(self, gate: GateInfo, decision: Any) -> None:
        self.parking.append((gate, decision))


@dataclass
class Site:
    community: Community
    unit: Unit
    host: Person
    gate_ids: dict[str, int]
    keys: dict[str, str]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def site(session) -> Site:
    community = await make_community(session, "阳光花园")
    unit = await make_unit(session, community, "3栋", "1201")
    host, _ = await make_resident(session, unit, telegram_id=5001, name="王小明")
    gate_ids: dict[str, int] = {}
    keys: dict[str, str] = {}
    for name, kind in (
        ("东门", GateKind.PEDESTRIAN),
        ("北门", GateKind.PEDESTRIAN),
        ("车库", GateKind.VEHICLE),
    ):
        created = await create_gate(
            session,
            secret_key=TEST_SECRET,
            community_id=community.id,
            name=name,
            kind=kind,
            driver=DoorDriverKind.SIMULATED,
            driver_config={"pulse_ms": 500},
        )
        gate_ids[name] = created.gate.id
        keys[name] = created.api_key
    await session.commit()
    return Site(community, unit, host, gate_ids, keys)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
async def runtime(database_url, clock, notifier, session_factory) -> AsyncIterator[AccessRuntime]:
    rt = AccessRuntime(
        database_url=database_url, secret_key=TEST_SECRET, clock=clock, notifier=notifier
    )
    rt.walkins = WalkinDesk(rt, session_factory)
    try:
        yield rt
    finally:
        await rt.close()
