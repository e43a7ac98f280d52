"""``/log UNIT`` reads the unit the way every other command does (core.units): staff
who write ``3栋/1201`` — as ``/residents`` accepts — get that unit's gate log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from access.passes import issue_visitor_pass
from core.clock import FrozenClock
from core.models import Unit
from tests.access.gate_world import GUARD_ID, GateWorld, gate_world
from tests.conftest import TEST_SECRET
from tests.harness import idle

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def world(session, settings, emulator, clock) -> AsyncIterator[GateWorld]:
    async with gate_world(session, settings, emulator, clock) as w:
        yield w


async def log_text(w: GateWorld, args: str) -> str:
    await w.group.send(GUARD_ID, f"/log {args}")
    reply = await w.group.expect(regex=r"Gate log|No gate activity|I don't know")
    return str(reply["text"])


async def test_log_finds_the_unit_however_it_is_written(world, session):
    w = world
    unit = await session.scalar(select(Unit).where(Unit.community_id == w.community.id))
    assert unit is not None
    issued = await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=NOW,
        host_person_id=w.host.id,
        host_unit_id=unit.id,
        holder_name="Zhang San",
        purpose="Dinner",
        valid_from=NOW,
        valid_until=NOW + timedelta(hours=2),
        multi_entry=False,
        gate_ids=[],
    )
    await session.commit()
    _status, body = await w.terminal("East Gate", {"code": issued.code})
    assert body["granted"] is True
    _status, body = await w.terminal("North Gate", {"code": "00000001"})
    assert body["reason"] == "unknown"
    await idle(w.app)

    by_dash = await log_text(w, "3栋-1201")
    assert by_dash.startswith("Gate log")
    rows = by_dash.splitlines()[1:]
    assert len(rows) == 1 and "East Gate" in rows[0] and "3栋-1201" in rows[0]
    for form in ("3栋/1201", "3栋 1201", "3栋1201", "３栋／１２０１"):
        assert await log_text(w, form) == by_dash, form
    assert (await log_text(w, "3栋/9999")).startswith("I don't know")
