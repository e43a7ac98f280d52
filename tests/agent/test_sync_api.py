"""The gate API's agent routes: each agent sees its own community's gates and passes
only; uploads are recorded once per key; a double grant reaches staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import func, select

from access.credentials import hash_code, hash_token
from access.models import AccessLogEntry
from access.passes.resident_key import show_resident_key
from access.sync.keys import offline_code_hash
from tests.agent.conftest import issue
from tests.conftest import TEST_SECRET


async def _call(server: Any, method: str, path: str, key: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, headers=headers, **kwargs) as r,
    ):
        return r.status, await r.json()


async def test_feed_holds_only_the_agents_community(session, world, server) -> None:
    mine = await issue(session, world.host_a, world.unit_a)
    theirs = await issue(session, world.host_b, world.unit_b)
    status, snap = await _call(server, "GET", f"/v1/agents/{world.agent_id}/sync", world.agent_key)
    assert status == 200 and snap["full"]
    assert [p["id"] for p in snap["passes"]] == [mine.pass_id]
    assert {g["id"] for g in snap["gates"]} == {world.gates["东门"], world.gates["北门"]}
    assert mine.code not in str(snap) and mine.token not in str(snap)  # hashes only
    # Never a hash the deployment's key made: only the community's credential key's.
    assert hash_code(TEST_SECRET, mine.code) not in str(snap)
    assert snap["passes"][0]["code_hash"] == offline_code_hash(
        TEST_SECRET, world.community_a, mine.code
    )
    # Residents' gate QR codes: A's resident in A's feed only.
    qr = await show_resident_key(
        session,
        secret_key=TEST_SECRET,
        now=datetime.now(UTC),
        person_id=world.host_a,
        community_id=world.community_a,
    )
    await session.commit()
    _, snap = await _call(server, "GET", f"/v1/agents/{world.agent_id}/sync", world.agent_key)
    assert [r["person_id"] for r in snap["residents"]] == [world.host_a]
    assert qr not in str(snap) and hash_token(TEST_SECRET, qr) not in str(snap)
    # B's agent: B's pass only; A's agent's key does not open B's feed.
    _, snap_b = await _call(server, "GET", f"/v1/agents/{world.agent_b_id}/sync", world.agent_b_key)
    assert [p["id"] for p in snap_b["passes"]] == [theirs.pass_id]
    assert snap_b["residents"] == []
    status, _ = await _call(server, "GET", f"/v1/agents/{world.agent_b_id}/sync", world.agent_key)
    assert status == 401
    # Changes since the snapshot: the new pass, not B's.
    newer = await issue(session, world.host_a, world.unit_a)
    theirs_too = await issue(session, world.host_b, world.unit_b)
    _, changes = await _call(
        server, "GET", f"/v1/agents/{world.agent_id}/sync?since={snap['version']}", world.agent_key
    )
    changed = {p["id"] for p in changes["passes"]}
    # (PostgreSQL sends the last 30 s of changes again: a late commit is never skipped.)
    assert not changes["full"] and newer.pass_id in changed
    assert changed <= {mine.pass_id, newer.pass_id} and theirs_too.pass_id not in changed


def _entry(key: str, gate: int, pass_id: int) -> dict[str, Any]:
    return {
        "key": key,
        "gate_id": gate,
        "at": datetime.now(UTC).isoformat(),
        "method": "code",
        "direction": "in",
        "granted": True,
        "reason": "ok",
        "pass_id": pass_id,
        "terminal": "t1",
    }


async def test_upload_once_per_key_and_double_grants_told(session, world, server) -> None:
    single = await issue(session, world.host_a, world.unit_a)
    east = world.gates["东门"]
    path = f"/v1/agents/{world.agent_id}/decisions"
    first = {"decisions": [_entry("agent-a-0001", east, single.pass_id)]}
    status, answer = await _call(server, "POST", path, world.agent_key, json=first)
    assert (status, answer["recorded"], answer["duplicates"]) == (200, ["agent-a-0001"], [])
    _, again = await _call(server, "POST", path, world.agent_key, json=first)
    assert (again["recorded"], again["duplicates"]) == ([], ["agent-a-0001"])
    rows = await session.scalar(
        select(func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.pass_id == single.pass_id)
    )
    assert rows == 1
    # A second agent (another key) admitted the same single-use pass offline.
    second = {"decisions": [_entry("agent-b-0001", world.gates["北门"], single.pass_id)]}
    _, answer = await _call(server, "POST", path, world.agent_key, json=second)
    assert answer["recorded"] == ["agent-b-0001"] and len(answer["double_grants"]) == 1
    await server.runtime.drain()
    assert [a.type for a in server.notifier.alarms] == ["offline_double_grant"]
    assert len([d for _, d in server.notifier.uses if d.reported_late]) == 1


async def test_an_agent_cannot_write_to_another_communitys_gate(session, world, server) -> None:
    theirs = await issue(session, world.host_b, world.unit_b)
    body = {"decisions": [_entry("agent-a-0002", world.gates["南门"], theirs.pass_id)]}
    status, answer = await _call(
        server, "POST", f"/v1/agents/{world.agent_id}/decisions", world.agent_key, json=body
    )
    assert (status, answer["error"]) == (403, "forbidden")


async def test_pruned_changes_send_an_old_agent_a_snapshot(session, world, server) -> None:
    from datetime import timedelta

    from access.sync.admin import prune_pass_changes
    from access.sync.models import PassChange

    first = await issue(session, world.host_a, world.unit_a)
    path = f"/v1/agents/{world.agent_id}/sync"
    _, snap = await _call(server, "GET", path, world.agent_key)
    for _ in range(3):
        await issue(session, world.host_a, world.unit_a)
    pruned = await prune_pass_changes(session, datetime.now(UTC) + timedelta(days=8))
    await session.commit()
    assert pruned >= 3 and await session.scalar(select(func.count()).select_from(PassChange)) == 1
    _, answer = await _call(server, "GET", f"{path}?since={snap['version']}", world.agent_key)
    assert answer["full"] and first.pass_id in {p["id"] for p in answer["passes"]}
    assert answer["version"] > snap["version"]  # the version never goes back


async def test_a_waiting_sync_answers_when_a_pass_is_revoked(session, world, server) -> None:
    import asyncio

    from access.passes.holding import revoke_pass

    issued = await issue(session, world.host_a, world.unit_a)
    path = f"/v1/agents/{world.agent_id}/sync"
    _, snap = await _call(server, "GET", path, world.agent_key)
    waiting = asyncio.create_task(
        _call(server, "GET", f"{path}?since={snap['version']}&wait=10", world.agent_key)
    )
    await asyncio.sleep(0.3)
    assert not waiting.done()  # nothing changed yet: the server holds the answer
    await revoke_pass(
        session, now=datetime.now(UTC), pass_id=issued.pass_id, by_person_id=None, reason="x"
    )
    await session.commit()
    status, answer = await waiting
    assert status == 200 and not answer["full"]
    assert [(p["id"], p["status"]) for p in answer["passes"]] == [(issued.pass_id, "revoked")]
    status, _ = await _call(server, "GET", f"{path}?since=0&wait=31", world.agent_key)
    assert status == 400
