"""The host is told late, in the chat, when the gate agent reports an offline entry;
staff hear of a double grant in the admin group."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from access.passes.issuing import issue_visitor_pass
from access.sync.admin import create_agent
from core.clock import FrozenClock
from core.models import Residency
from tests.access.conftest import START
from tests.access.gate_world import gate_world
from tests.conftest import TEST_SECRET


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


async def test_host_told_late_and_staff_told_of_a_double_grant(session, settings, emulator) -> None:
    clock = FrozenClock(START)
    async with gate_world(
        session, settings, emulator, clock, resident_locale="zh_Hans", staff_locale="en"
    ) as w:
        unit_id = await session.scalar(
            select(Residency.unit_id).where(Residency.person_id == w.host.id)
        )
        issued = await issue_visitor_pass(
            session,
            secret_key=TEST_SECRET,
            now=START,
            host_person_id=w.host.id,
            host_unit_id=unit_id,
            purpose="visit",
            valid_from=START,
            valid_until=START + timedelta(hours=4),
            multi_entry=False,
            gate_ids=[],
            holder_name="张三",
        )
        agent = await create_agent(
            session,
            secret_key=TEST_SECRET,
            community_id=w.community.id,
            name="guard house",
            gate_ids=list(w.gate_ids.values()),
        )
        await session.commit()
        entry = {
            "gate_id": w.gate_ids["East Gate"],
            "at": (START + timedelta(minutes=2)).isoformat(),  # 10:02 in Shanghai
            "method": "code",
            "direction": "in",
            "granted": True,
            "reason": "ok",
            "pass_id": issued.pass_id,
        }
        url = f"{w.api}/v1/agents/{agent.id}/decisions"
        headers = {"Authorization": f"Bearer {agent.api_key}"}
        async with aiohttp.ClientSession() as http:
            for key in ("offline-000001", "offline-000002"):
                body = {"decisions": [{**entry, "key": key}]}
                async with http.post(url, json=body, headers=headers) as r:
                    assert r.status == 200
        note = await w.resident.expect("恢复联网后补报")
        assert "张三" in note["text"] and "10:02" in note["text"]
        alarm = await w.group.expect("already been used elsewhere")
        assert "East Gate" in alarm["text"]


async def test_revoking_says_how_soon_offline_capable_gates_learn(
    session, settings, emulator
) -> None:
    clock = FrozenClock(START)
    async with gate_world(session, settings, emulator, clock) as w:
        unit_id = await session.scalar(
            select(Residency.unit_id).where(Residency.person_id == w.host.id)
        )
        await issue_visitor_pass(
            session,
            secret_key=TEST_SECRET,
            now=START,
            host_person_id=w.host.id,
            host_unit_id=unit_id,
            purpose="visit",
            valid_from=START,
            valid_until=START + timedelta(hours=4),
            multi_entry=True,
            gate_ids=[],
            holder_name="Zhang San",
        )
        await create_agent(
            session,
            secret_key=TEST_SECRET,
            community_id=w.community.id,
            name="guard house",
            gate_ids=[w.gate_ids["East Gate"]],
        )
        await session.commit()
        await w.resident.send("/passes")
        listing = await w.resident.expect("Your active passes")
        await w.resident.press(listing, re.search(r"🚫 Revoke #\d+", str(listing)).group(0))
        ask = await w.resident.expect("It stops working at every gate at once")
        await w.resident.press(ask, "🚫 Yes, revoke")
        await w.resident.expect_edit(ask, text_contains="learn of it within 5 seconds")
