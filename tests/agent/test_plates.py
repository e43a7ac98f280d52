"""Plates and daily-help households at an agent in this process, synced from the real
server then deciding offline: a resident's plate and a plated visitor pass open the
vehicle gate as does the white list, a black-listed plate and another community's
plate do not; past the
maximum offline time only the resident's plate; an exit owes no parking offline; a
daily-help pass stops once its last household suspends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from access.agent.service import AgentConfig, GateAgent
from access.decision import Credential, Direction
from access.gates import create_gate
from access.models import AccessLogEntry, GateKind, Pass
from access.passes import issue_visitor_pass
from access.passes.rules import ALL_WEEKDAYS
from access.passes.shared import issue_daily_help_pass, set_suspended
from access.plates import VehicleClass, valid_plate
from access.sync.admin import create_agent, set_offline_policy
from access.vehicles.lists import set_listed
from access.vehicles.models import ListKind, VehicleVisit
from access.vehicles.registry import decide_vehicle, register_vehicle
from tests.conftest import TEST_SECRET


async def _register(session: Any, person: int, unit: int, community: int, plate: str) -> None:
    now = datetime.now(UTC)
    row = await register_vehicle(
        session, now=now, person_id=person, unit_id=unit, plate=plate,
        vehicle_class=VehicleClass.SMALL, document_file_id="f", document_media="photo",
    )  # fmt: skip
    await decide_vehicle(
        session, now=now, vehicle_id=row.id, community_id=community,
        staff_person_id=person, approve=True,
    )  # fmt: skip


async def _vehicle_agent(session: Any, world: Any, server: Any, tmp_path: Path) -> Any:
    garage = await create_gate(
        session, secret_key=TEST_SECRET, community_id=world.community_a, name="车库",
        kind=GateKind.VEHICLE,
    )  # fmt: skip
    created = await create_agent(
        session, secret_key=TEST_SECRET, community_id=world.community_a, name="garage",
        gate_ids=[garage.gate.id, world.gates["东门"]],
    )  # fmt: skip
    await session.commit()
    config = AgentConfig(
        server_url=server.url, agent_id=created.id, agent_key=created.api_key,
        agent_secret=created.secret, data_dir=tmp_path / "garage", sync_interval_s=3600,
    )  # fmt: skip
    agent = GateAgent(config)
    await agent.start()
    await agent.sync_once()
    agent.online = False  # the server is away from here on: every decision is local
    return agent, garage.gate.id


def _plate(agent: GateAgent, gate_id: int, plate: str, out: bool = False, **kw: Any) -> Any:
    gate = agent.gate(gate_id)
    assert gate is not None
    direction = Direction.OUT if out else Direction.IN
    read = Credential.plate(valid_plate(plate) or plate, **kw)  # as the terminal API reads it
    return agent.decide_locally(gate, read, direction, "lane-1")


async def test_plates_decided_offline_by_the_servers_rules(
    session, world, server, tmp_path
) -> None:
    await _register(session, world.host_a, world.unit_a, world.community_a, "沪A12345")
    await _register(session, world.host_b, world.unit_b, world.community_b, "沪B22222")
    now = datetime.now(UTC)
    visiting = await issue_visitor_pass(
        session, secret_key=TEST_SECRET, now=now, host_person_id=world.host_a,
        host_unit_id=world.unit_a, purpose="visit", valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(hours=4), multi_entry=True, gate_ids=[],
        holder_name="张三", car_plate="粤B12345",
    )  # fmt: skip
    for plate, kind in (("京A99999", ListKind.BLOCK), ("浙A00001", ListKind.ALLOW)):
        await set_listed(
            session, now=now, community_id=world.community_a, plate=plate, kind=kind,
            note="", staff_person_id=None,
        )  # fmt: skip
    await session.commit()
    agent, garage = await _vehicle_agent(session, world, server, tmp_path)
    try:
        held = agent.replica.raw.execute("SELECT plate FROM vehicles").fetchall()
        assert held == [("沪A12345",)]  # never community B's
        resident = _plate(agent, garage, "沪a·123 45", confidence=0.97)
        assert (resident.granted, resident.reason.value) == (True, "vehicle")
        unsure = _plate(agent, garage, "沪A12345", confidence=0.3)
        assert (unsure.granted, unsure.reason.value) == (False, "plate_unsure")
        visitor = _plate(agent, garage, "粤B12345")
        assert (visitor.granted, visitor.reason.value) == (True, "ok")
        blocked = _plate(agent, garage, "京A99999")
        assert (blocked.granted, blocked.reason.value) == (False, "blocked")
        foreign = _plate(agent, garage, "沪B22222")  # community B's resident
        assert (foreign.granted, foreign.reason.value) == (False, "unknown")
        listed = _plate(agent, garage, "浙A00001")  # the white list: the refuse lorry
        assert (listed.granted, listed.reason.value) == (True, "listed")
        stranger = _plate(agent, garage, "苏E54321")  # no plate, no pass: refused at entry
        assert (stranger.granted, stranger.reason.value) == (False, "unknown")
        wrong = _plate(agent, world.gates["东门"], "沪A12345")
        assert (wrong.granted, wrong.reason.value) == (False, "wrong_gate")
        # The visitor's car leaves: no parking is charged offline, the stay is reported.
        leaves = _plate(agent, garage, "粤B12345", out=True)
        assert (leaves.granted, leaves.reason.value) == (True, "exit")
        # Every offline decision reaches the server's access log, once.
        assert agent.replica.queued() == 9
        assert await agent.upload() == 9
        assert await agent.upload() == 0
        logged = await session.scalar(select(func.count()).where(AccessLogEntry.method == "plate"))
        assert logged == 9
        # The visits are kept as online: the resident's car inside (the log names them),
        # the visitor's stay closed at its offline exit, nothing paid: owed on record.
        visits = (await session.scalars(select(VehicleVisit).order_by(VehicleVisit.id))).all()
        assert [(v.plate, v.inside, v.person_id) for v in visits] == [
            ("沪A12345", True, world.host_a),
            ("粤B12345", False, None),
            ("浙A00001", True, None),
        ]
        assert visits[1].exited_at is not None and visits[1].paid_minor == 0
        visitor_pass = await session.get(Pass, visiting.pass_id)
        assert visitor_pass is not None and (visitor_pass.uses_count, visitor_pass.inside) == (
            1,
            False,
        )
        resident_row = await session.scalar(
            select(AccessLogEntry).where(AccessLogEntry.reason == "vehicle")
        )
        assert resident_row is not None and resident_row.person_id == world.host_a
        # Past the maximum offline time only the resident's plate opens.
        await set_offline_policy(session, garage, max_offline_min=0)
        await session.commit()
        agent.online = True
        await agent.sync_once()
        agent.online = False
        assert _plate(agent, garage, "沪A12345").granted
        late = _plate(agent, garage, "粤B12345")
        assert (late.granted, late.reason.value) == (False, "not_allowed")
        assert agent.replica.queued() == 2
    finally:
        await agent.close()


async def test_daily_help_stops_offline_when_its_household_suspends_it(
    session, world, server, tmp_path
) -> None:
    now = datetime.now(UTC)
    issued = await issue_daily_help_pass(
        session, secret_key=TEST_SECRET, now=now, host_person_id=world.host_a,
        host_unit_id=world.unit_a, role="cleaner", name="陈阿姨", daily_start_min=0,
        daily_end_min=24 * 60, weekdays=ALL_WEEKDAYS, gate_ids=[],
    )  # fmt: skip
    await session.commit()
    agent, _ = await _vehicle_agent(session, world, server, tmp_path)
    try:
        east = agent.gate(world.gates["东门"])
        assert east is not None
        code = Credential.code(issued.code)
        assert agent.decide_locally(east, code, Direction.IN, None).granted
        await set_suspended(
            session, person_id=world.host_a, pass_id=issued.pass_id, suspended=True,
            now=now, today=now.date(),
        )  # fmt: skip
        await session.commit()
        await agent.upload()
        agent.online = True
        await agent.sync_once()
        agent.online = False
        refused = agent.decide_locally(east, code, Direction.IN, None)
        assert (refused.granted, refused.reason.value) == (False, "suspended")
    finally:
        await agent.close()
