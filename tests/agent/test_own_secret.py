"""An agent's own secret (decision 0025): the box decides with it and never with the
deployment's key; rotating it makes the old one useless, and an agent given the new
one re-takes its replica (the outbox kept) and decides again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from access.agent.service import AgentConfig, GateAgent
from access.decision import Credential, Direction
from access.sync.admin import rotate_agent_secret
from tests.agent.conftest import issue
from tests.conftest import TEST_SECRET


def _config(server: Any, world: Any, data: Path, secret: str) -> AgentConfig:
    return AgentConfig(
        server_url=server.url,
        agent_id=world.agent_id,
        agent_key=world.agent_key,
        agent_secret=secret,
        data_dir=data,
        sync_interval_s=3600,
    )


async def test_a_rotated_secret_retakes_the_replica(session, world, server, tmp_path) -> None:
    east = world.gates["东门"]
    multi = await issue(session, world.host_a, world.unit_a, multi=True)
    assert world.agent_secret.startswith("gs_") and TEST_SECRET not in world.agent_secret
    agent = GateAgent(_config(server, world, tmp_path, world.agent_secret))
    await agent.start()
    await agent.sync_once()
    gate = agent.gate(east)
    assert gate is not None
    assert agent.decide_locally(gate, Credential.code(multi.code), Direction.IN, None).granted
    replica = (tmp_path / "replica.sqlite3").read_bytes()
    assert multi.code.encode() not in replica and TEST_SECRET.encode() not in replica

    new_secret = await rotate_agent_secret(session, secret_key=TEST_SECRET, agent_id=world.agent_id)
    await session.commit()
    assert new_secret != world.agent_secret
    with pytest.raises(InvalidTag):
        await agent.sync_once()  # what the server sends no longer opens with the old secret
    assert agent.decide_locally(gate, Credential.code(multi.code), Direction.IN, None).granted
    await agent.close()

    agent = GateAgent(_config(server, world, tmp_path, new_secret))
    await agent.start()
    try:
        assert agent.replica.queued() == 1 and agent.gate(east) is None  # emptied, outbox kept
        await agent.sync_once()  # uploads the outbox, then a fresh snapshot
        gate = agent.gate(east)
        assert gate is not None and agent.replica.queued() == 0
        again = agent.decide_locally(gate, Credential.code(multi.code), Direction.IN, None)
        assert again.granted
    finally:
        await agent.close()
