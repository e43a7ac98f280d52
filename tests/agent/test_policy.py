"""The offline policy per gate, on an agent in this process: single-use passes
refused offline when the gate says so; past the maximum offline time no pass opens;
the fire-alarm input opens everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from access.agent.service import AgentConfig, GateAgent
from access.decision import Credential, Direction
from access.sync.admin import set_offline_policy
from access.sync.models import OfflineSingleUse
from tests.agent.conftest import issue
from tests.conftest import TEST_SECRET


async def _agent(server: Any, world: Any, tmp_path: Path) -> GateAgent:
    config = AgentConfig(
        server_url=server.url,
        agent_id=world.agent_id,
        agent_key=world.agent_key,
        agent_secret=world.agent_secret,
        data_dir=tmp_path / "agent",
        sync_interval_s=3600,
    )
    agent = GateAgent(config)
    await agent.start()
    await agent.sync_once()
    return agent


async def test_single_use_refused_offline_when_the_gate_says_so(
    session, world, server, tmp_path
) -> None:
    east, north = world.gates["东门"], world.gates["北门"]
    await set_offline_policy(session, east, single_use=OfflineSingleUse.REFUSE)
    await session.commit()
    single = await issue(session, world.host_a, world.unit_a)
    multi = await issue(session, world.host_a, world.unit_a, multi=True)
    agent = await _agent(server, world, tmp_path)
    try:
        gate_e, gate_n = agent.gate(east), agent.gate(north)
        assert gate_e is not None and gate_n is not None
        refused = agent.decide_locally(gate_e, Credential.code(single.code), Direction.IN, None)
        assert (refused.granted, refused.reason.value) == (False, "not_allowed")
        admitted = agent.decide_locally(gate_e, Credential.code(multi.code), Direction.IN, None)
        assert admitted.granted
        # The other gate keeps the default: consumed locally, once.
        once = agent.decide_locally(gate_n, Credential.code(single.code), Direction.IN, None)
        twice = agent.decide_locally(gate_n, Credential.code(single.code), Direction.IN, None)
        assert once.granted and (twice.granted, twice.reason.value) == (False, "used")
    finally:
        await agent.close()


async def test_past_the_offline_limit_only_the_fire_alarm_opens(
    session, world, server, tmp_path
) -> None:
    east = world.gates["东门"]
    await set_offline_policy(session, east, max_offline_min=0)
    await session.commit()
    multi = await issue(session, world.host_a, world.unit_a, multi=True)
    agent = await _agent(server, world, tmp_path)
    try:
        gate = agent.gate(east)
        assert gate is not None
        refused = agent.decide_locally(gate, Credential.code(multi.code), Direction.IN, None)
        assert (refused.granted, refused.reason.value) == (False, "not_allowed")
        await agent.set_fire_alarm(True)
        gate = agent.gate(east)
        assert gate is not None and gate.emergency
        opened = agent.decide_locally(gate, Credential.code("00000000"), Direction.IN, None)
        assert (opened.granted, opened.reason.value, opened.door.value) == (
            True,
            "emergency",
            "held_open",
        )
        assert agent.replica.queued() == 2  # both reported to the server later
    finally:
        await agent.close()


async def test_a_door_that_fails_at_the_agent_gives_the_use_back(
    session, world, server, tmp_path
) -> None:
    from sqlalchemy import select

    from access.gates import create_gate
    from access.models import AccessLogEntry, DoorDriverKind, Pass
    from access.sync.models import GateAgent

    dead = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=world.community_a,
        name="车库",
        driver=DoorDriverKind.HTTP,
        driver_config={"url": "http://127.0.0.1:9/relay", "timeout_s": 1},
    )
    agent_row = await session.get(GateAgent, world.agent_id)
    agent_row.gate_ids = [*agent_row.gate_ids, dead.gate.id]
    single = await issue(session, world.host_a, world.unit_a)
    await session.commit()
    agent = await _agent(server, world, tmp_path)
    try:
        gate = agent.gate(dead.gate.id)
        assert gate is not None
        agent.online = False
        answer = await agent.verify_locally(
            gate, Credential.code(single.code), Direction.IN, "garage"
        )
        assert (answer.granted, answer.door.value) == (True, "failed")
        again = agent.decide_locally(gate, Credential.code(single.code), Direction.IN, None)
        assert again.granted  # the use was given back: the visitor may try again
        await agent.upload()
    finally:
        await agent.close()
    rows = (
        await session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.pass_id == single.pass_id)
            .order_by(AccessLogEntry.id)
        )
    ).all()
    assert [(r.reason, r.ref_id is not None) for r in rows] == [
        ("ok", False),
        ("door_failed", True),
        ("ok", False),
    ]
    session.expire_all()
    assert (await session.get(Pass, single.pass_id)).uses_count == 1
    await server.runtime.drain()
    assert len(server.notifier.door_failures) == 1
    # Only the entry that went through is told to the host.
    assert len([d for _, d in server.notifier.uses if d.reported_late]) == 1


async def test_a_record_the_server_refuses_is_set_aside_not_blocking(
    session, world, server, tmp_path
) -> None:
    from access.sync.models import GateAgent

    multi = await issue(session, world.host_a, world.unit_a, multi=True)
    east, north = world.gates["东门"], world.gates["北门"]
    agent = await _agent(server, world, tmp_path)
    try:
        for gate_id in (north, east, north):
            gate = agent.gate(gate_id)
            assert gate is not None
            agent.decide_locally(gate, Credential.code(multi.code), Direction.IN, None)
        # Meanwhile the operator took the north gate away from this agent.
        row = await session.get(GateAgent, world.agent_id)
        row.gate_ids = [east]
        await session.commit()
        assert await agent.upload() == 1
        assert (agent.replica.queued(), agent.replica.rejected()) == (0, 2)
    finally:
        await agent.close()
