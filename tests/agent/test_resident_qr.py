"""Residents' gate QR codes at a gate agent (a real process) without the server: they
open, also after the gate's maximum offline time (when passes no longer do); one
whose residency ended before the outage does not; another community's agent does
not know it. Back online, the resident's entry is in the access log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from access.models import AccessLogEntry
from access.passes.resident_key import show_resident_key
from access.sync.admin import set_offline_policy
from core.clock import SystemClock
from core.models import Unit
from core.residents.residencies import end_residency
from tests.agent.conftest import issue
from tests.agent.test_outage import _synced_to
from tests.conftest import TEST_SECRET
from tests.factories import make_resident


async def _qr(session: Any, person_id: int, community_id: int) -> str:
    token = await show_resident_key(
        session,
        secret_key=TEST_SECRET,
        now=datetime.now(UTC),
        person_id=person_id,
        community_id=community_id,
    )
    await session.commit()
    return token


async def test_resident_qr_opens_offline_after_the_max_offline_time(
    session, world, server, agent_factory
) -> None:
    east, key = world.gates["东门"], world.keys["东门"]
    await set_offline_policy(session, east, max_offline_min=0)  # passes: none offline
    unit = await session.get(Unit, world.unit_a)
    leaving, residency = await make_resident(session, unit, telegram_id=6010, name="赵六")
    await session.commit()
    resident_qr = await _qr(session, world.host_a, world.community_a)
    leaving_qr = await _qr(session, leaving.id, world.community_a)
    visitor = await issue(session, world.host_a, world.unit_a, multi=True)
    agent = agent_factory(server.url, world.agent_id, world.agent_key, world.agent_secret)
    agent_b = agent_factory(
        server.url, world.agent_b_id, world.agent_b_key, world.agent_b_secret, name="b"
    )
    agent.start()
    agent_b.start()
    await _synced_to(agent, session)
    # Online, the server decides: the resident's QR opens.
    online = await agent.verify(east, key, qr=resident_qr)
    assert online["granted"] and "offline" not in online

    # A resident moves out; the agent hears of it within its sync interval.
    await end_residency(session, residency.id, clock=SystemClock(), reason="moved_out")
    await session.commit()
    await _synced_to(agent, session)
    await _synced_to(agent_b, session)

    await server.stop()  # the cable is cut
    answers = {
        "resident": await agent.verify(east, key, qr=resident_qr),
        "moved_out": await agent.verify(east, key, qr=leaving_qr),
        "visitor": await agent.verify(east, key, code=visitor.code),
        "out": await agent.verify(east, key, qr=resident_qr, direction="out"),
    }
    assert all(a["offline"] for a in answers.values())
    assert answers["resident"]["granted"] and answers["resident"]["reason"] == "ok"
    assert answers["out"]["granted"]
    # Gone from the replica (a key it still held would open like the one above).
    assert (answers["moved_out"]["granted"], answers["moved_out"]["reason"]) == (
        False,
        "not_allowed",
    )
    # Past the maximum offline time only residents' own QR codes open.
    assert (answers["visitor"]["granted"], answers["visitor"]["reason"]) == (False, "not_allowed")
    south, key_b = world.gates["南门"], world.keys["南门"]
    other = await agent_b.verify(south, key_b, qr=resident_qr)
    assert other["offline"] and (other["granted"], other["reason"]) == (False, "unknown")

    await server.start()
    await agent.wait_for(lambda h: h["server"] == "online" and h["queued"] == 0)
    rows = (
        await session.scalars(
            select(AccessLogEntry).where(
                AccessLogEntry.gate_id == east, AccessLogEntry.method == "qr"
            )
        )
    ).all()
    mine = [(r.granted, r.direction, r.person_id, r.host_unit_id) for r in rows if r.granted]
    assert sorted(mine) == sorted(
        [
            (True, "in", world.host_a, world.unit_a),  # online
            (True, "in", world.host_a, world.unit_a),  # offline, uploaded
            (True, "out", world.host_a, world.unit_a),
        ]
    )
