"""Alarms a gate terminal reports besides a forced door: the door held open and a tamper
alarm. Each is recorded and the staff see it in their admin group, in its language."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from access.models import AccessLogEntry, GateEvent, GateEventType
from core.clock import FrozenClock
from tests.access.conftest import START
from tests.access.gate_world import GateWorld, gate_world


@pytest.fixture
def settings(settings):
    # Telegram's pacing is the sender's business (tests/foundation/test_sender_limits.py).
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture(params=["en", "zh_Hans"])
async def world(request, session, settings, emulator) -> AsyncIterator[GateWorld]:
    name = "Sunny Garden" if request.param == "en" else "阳光花园"
    async with gate_world(
        session,
        settings,
        emulator,
        FrozenClock(START),  # 10:00 in Shanghai
        community_locale=request.param,
        name=name,
    ) as w:
        yield w


# What the staff read, by the admin group's language.
ALERTS = {
    "en": {
        "door_held_open": "⚠️ North Gate: door held open at 10:00.",
        "tamper": "🚨 North Gate: tamper alarm on the terminal at 10:00!",
    },
    "zh_Hans": {
        "door_held_open": "⚠️ North Gate：10:00 门被长时间打开。",
        "tamper": "🚨 North Gate：10:00 门禁终端防拆报警！",
    },
}


@pytest.mark.parametrize("kind", ["door_held_open", "tamper"])
async def test_alarm_is_recorded_and_staff_are_alerted(world, session, kind):
    w = world
    locale = w.community.locale
    details = "rear leaf <sensor 2> & latch"
    status, body = await w.event(
        "North Gate", {"type": kind, "details": details, "terminal": "north-panel"}
    )
    assert status == 202 and body["recorded"] is True

    alert = await w.group.expect(ALERTS[locale][kind])
    # The terminal's free text is shown as text (escaped, not markup), on its own line.
    assert alert["text"].splitlines() == [ALERTS[locale][kind], details]
    # Gate name in bold, as the staff see it.
    assert any(e["type"] == "bold" for e in alert.get("entities", []))
    # Only the staff group hears about it; the resident's chat stays quiet.
    await w.resident.expect_nothing(within=0.3)

    row = await session.scalar(select(GateEvent).where(GateEvent.id == body["event_id"]))
    assert row is not None
    assert (row.type, row.gate_id, row.community_id) == (
        GateEventType(kind),
        w.gate_ids["North Gate"],
        w.community.id,
    )
    assert (row.details, row.terminal, row.at) == (details, "north-panel", START)
    # An alarm is not an access decision: the access log is untouched.
    assert (await session.scalars(select(AccessLogEntry))).all() == []


async def test_each_report_is_its_own_alert(world, session):
    """A door held open twice and then tampered with: three rows, three alerts, in order."""
    w = world
    ids = []
    for kind in ("door_held_open", "door_held_open", "tamper"):
        status, body = await w.event("East Gate", {"type": kind})
        assert status == 202
        ids.append(body["event_id"])
    assert len(set(ids)) == 3
    for kind in ("door_held_open", "door_held_open", "tamper"):
        expected = ALERTS[w.community.locale][kind].replace("North Gate", "East Gate")
        alert = await w.group.expect(expected)
        assert alert["text"] == expected  # no details line when the terminal gave none
    rows = (await session.scalars(select(GateEvent).order_by(GateEvent.id))).all()
    assert [(r.id, r.type.value) for r in rows] == list(
        zip(ids, ["door_held_open", "door_held_open", "tamper"], strict=True)
    )
    # An unknown kind is refused with the list of kinds, and nothing is recorded.
    status, body = await w.event("East Gate", {"type": "door_ajar"})
    assert status == 400 and "door_held_open" in body["detail"] and "tamper" in body["detail"]
    assert len((await session.scalars(select(GateEvent))).all()) == 3
    await w.group.expect_nothing(within=0.3)
