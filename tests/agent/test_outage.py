"""The server goes away; the agent (a real process) keeps deciding; the server comes
back and learns every offline decision exactly once; hosts are told late."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from access.models import AccessLogEntry, Pass
from access.passes.holding import revoke_pass
from access.sync.models import AgentUpload, PassChange
from tests.agent.conftest import issue


async def _server_version(session: Any) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(PassChange.id), 0))))


async def _synced_to(agent: Any, session: Any) -> None:
    version = await _server_version(session)
    await agent.wait_for(
        lambda h: h["server"] == "online" and (h["replica_version"] or 0) >= version
    )


async def test_offline_decisions_then_exactly_once_upload(
    session, world, server, agent_factory
) -> None:
    east, key = world.gates["东门"], world.keys["东门"]
    single = await issue(session, world.host_a, world.unit_a)
    multi = await issue(session, world.host_a, world.unit_a, multi=True)
    revoked = await issue(session, world.host_a, world.unit_a)
    expired = await issue(session, world.host_a, world.unit_a, multi=True)
    other = await issue(session, world.host_b, world.unit_b, multi=True)  # community B
    agent = agent_factory(server.url, world.agent_id, world.agent_key, world.agent_secret)
    agent.start()
    await _synced_to(agent, session)

    # Online: the server decides, as today.
    online = await agent.verify(east, key, code=multi.code, terminal="t1")
    assert online["granted"] and "offline" not in online

    # Staff revoke one pass; another runs out (its window moved into the past).
    await revoke_pass(
        session, now=online_now(), pass_id=revoked.pass_id, by_person_id=None, reason="staff"
    )
    row = await session.get(Pass, expired.pass_id)
    row.valid_until = online_now()
    await session.commit()
    await _synced_to(agent, session)

    await server.stop()  # the cable is cut
    answers = {
        "single": await agent.verify(east, key, code=single.code, terminal="t1"),
        "single_again": await agent.verify(east, key, code=single.code, terminal="t1"),
        "multi": await agent.verify(east, key, qr=multi.token, terminal="t1"),
        "revoked": await agent.verify(east, key, code=revoked.code, terminal="t1"),
        "expired": await agent.verify(east, key, code=expired.code, terminal="t1"),
        "community_b": await agent.verify(east, key, code=other.code, terminal="t1"),
    }
    assert all(a["offline"] for a in answers.values())
    assert answers["single"]["granted"] and answers["single"]["door"] == "released"
    assert (answers["single_again"]["granted"], answers["single_again"]["reason"]) == (
        False,
        "used",
    )
    assert answers["multi"]["granted"]
    assert answers["revoked"]["reason"] == "revoked" and not answers["revoked"]["granted"]
    assert answers["expired"]["reason"] == "expired" and not answers["expired"]["granted"]
    assert answers["community_b"]["reason"] == "unknown"
    event = await agent.post(east, key, "events", {"type": "door_forced", "terminal": "t1"})
    assert (event["http_status"], event["offline"]) == (202, True)
    health = await agent.health()
    assert (health["server"], health["queued"]) == ("offline", 7)

    await server.start()  # the cable is back
    await agent.wait_for(lambda h: h["server"] == "online" and h["queued"] == 0)
    await server.runtime.drain()

    uploaded = (await session.execute(select(AgentUpload.key, AgentUpload.log_id))).all()
    assert len(uploaded) == 7 and len({k for k, _ in uploaded}) == 7
    log_ids = [log_id for _, log_id in uploaded if log_id is not None]
    rows = (
        await session.scalars(select(AccessLogEntry).where(AccessLogEntry.id.in_(log_ids)))
    ).all()
    by_reason = sorted((r.reason, r.granted, r.pass_id) for r in rows)
    assert by_reason == sorted(
        [
            ("ok", True, single.pass_id),
            ("used", False, single.pass_id),
            ("ok", True, multi.pass_id),
            ("revoked", False, revoked.pass_id),
            ("expired", False, expired.pass_id),
            ("unknown", False, None),
        ]
    )
    # The single-use pass is spent on the server too.
    session.expire_all()
    assert (await session.get(Pass, single.pass_id)).uses_count == 1
    # Hosts told, late: the two entries, each once.
    late = [d for _, d in server.notifier.uses if d.reported_late]
    assert sorted(d.pass_id for d in late) == sorted([single.pass_id, multi.pass_id])
    # The door-forced alarm reaches staff late; no double grant.
    assert [a.type for a in server.notifier.alarms] == ["door_forced"]


def online_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_kill_9_mid_queue_loses_nothing(session, world, server, agent_factory) -> None:
    east, key = world.gates["东门"], world.keys["东门"]
    multi = await issue(session, world.host_a, world.unit_a, multi=True)
    agent = agent_factory(server.url, world.agent_id, world.agent_key, world.agent_secret)
    agent.start()
    await _synced_to(agent, session)
    await server.stop()
    for _ in range(3):
        assert (await agent.verify(east, key, code=multi.code))["granted"]
    agent.kill9()  # the box loses power mid-queue

    agent.start()  # back, still without the server
    health = await agent.wait_for(lambda h: h["queued"] == 3)
    assert health["server"] == "offline"
    assert (await agent.verify(east, key, code=multi.code))["offline"]
    # A plate is decided here too, by the server's plate rules (a pedestrian gate).
    plate = await agent.verify(east, key, plate="沪a·123 45", confidence=0.99)
    assert (plate["granted"], plate["reason"], plate["offline"]) == (False, "wrong_gate", True)
    refused = await agent.verify(east, key, code=multi.code, confidence=0.5)
    assert refused["http_status"] == 400

    await server.start()
    await agent.wait_for(lambda h: h["server"] == "online" and h["queued"] == 0)
    entries = await session.scalar(
        select(func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.pass_id == multi.pass_id, AccessLogEntry.granted.is_(True))
    )
    assert entries == 4
    session.expire_all()
    assert (await session.get(Pass, multi.pass_id)).uses_count == 4
