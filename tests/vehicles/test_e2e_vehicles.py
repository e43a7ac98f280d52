"""A resident's car end to end: the plate registered in the chat with the 行驶证,
approved in the admin group, the certificate gone, then the camera's read at the
vehicle gate over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from access.api import serve
from access.gates import create_gate
from access.models import AccessLogEntry, GateKind
from access.vehicles.models import Vehicle, VehicleStatus
from core.clock import FrozenClock
from core.models import AuditEntry, StaffRole
from tests.access.conftest import START
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit
from tests.harness import start_bot
from tests.movein.helpers import jpeg

GROUP_ID = -1001000000078
RESIDENT_ID = 511
NEIGHBOUR_ID = 512
GUARD_ID = 611
MANAGER_ID = 612


@dataclass
class World:
    clock: FrozenClock
    api: str
    gate_id: int
    key: str
    resident: Any
    neighbour: Any
    group: Any


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[World]:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=False, locale="en"
    )
    unit = await make_unit(session, community, "3栋", "1201")
    other = await make_unit(session, community, "5栋", "301")
    await make_resident(session, unit, RESIDENT_ID, "Wang Xiaoming", locale="en")
    await make_resident(session, other, NEIGHBOUR_ID, "Li Si", locale="zh_Hans")
    await make_staff(session, community, GUARD_ID, "Zhao Guard", StaffRole.GUARD, locale="en")
    await make_staff(session, community, MANAGER_ID, "Li Manager", locale="en")
    gate = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=community.id,
        name="Car Park",
        kind=GateKind.VEHICLE,
    )
    await session.commit()
    group = emulator.group(GROUP_ID, "Sunny Garden staff")
    group.add_member(GUARD_ID, "Zhao Guard")
    group.add_member(MANAGER_ID, "Li Manager")
    emulator.user(GUARD_ID, "Zhao Guard")
    emulator.user(MANAGER_ID, "Li Manager")
    resident = emulator.user(RESIDENT_ID, "Wang", language_code="en")
    neighbour = emulator.user(NEIGHBOUR_ID, "Li", language_code="zh-hans")
    clock = FrozenClock(START)
    async with start_bot(settings, emulator, clock=clock) as app:
        runner = await serve(app.ctx.gate, "127.0.0.1", 0)
        try:
            yield World(
                clock,
                f"http://127.0.0.1:{runner.addresses[0][1]}",
                gate.gate.id,
                gate.api_key,
                resident,
                neighbour,
                group,
            )
        finally:
            await runner.cleanup()


async def camera(w: World, plate: str, confidence: float = 0.98, direction: str = "in") -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{w.api}/v1/gates/{w.gate_id}/verify",
            json={"plate": plate, "confidence": confidence, "direction": direction},
            headers={"Authorization": f"Bearer {w.key}"},
        ) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_plate_registered_approved_and_opening_the_gate(world, session):
    w, r = world, world.resident
    assert (await camera(w, "沪A12345"))["reason"] == "unknown"
    await r.send("/plate")
    await r.expect("What is the plate number?")
    await r.send("ABC")
    await r.expect("does not look like a Chinese plate")
    await r.send("沪a 123 45")
    kind = await r.expect("small car or a large vehicle?")
    await r.send("a car")
    await r.expect("choose small car or large vehicle")
    await r.press(kind, "🚗 Small car")
    await r.expect("registration certificate (行驶证)")
    await r.send("here it is")
    await r.expect("as a photo, or as an image or PDF file")
    await r.send_photo(jpeg())
    await r.expect("is with the property office")

    card = await w.group.expect("Vehicle registration", photo=True)
    assert "沪A12345" in card["caption"] and "Small car" in card["caption"]
    row = await session.scalar(select(Vehicle))
    assert row.status == VehicleStatus.PENDING and row.document_file_id

    # Another home asks for the same plate: refused at once, in Chinese.
    await w.neighbour.send("/plate")
    await w.neighbour.expect("车牌号")
    await w.neighbour.send("沪A12345")
    await w.neighbour.expect("已登记在本小区的另一户")

    w.group.add_member(999, "Stranger")
    refused = await w.group.press(card, "✅ Approve", from_user=999)
    assert "Only" in (refused or {}).get("text", "")
    await w.group.press(card, "✅ Approve", from_user=GUARD_ID)
    await w.group.expect("approved by Zhao Guard")
    await r.expect("Your plate 沪A12345 is approved")
    assert all(m.get("photo") is None for m in w.group.messages)  # the certificate is gone
    await session.refresh(row)
    assert row.status == VehicleStatus.ACTIVE and row.document_file_id is None

    body = await camera(w, "沪A12345")
    assert (body["granted"], body["reason"], body["door"]) == (True, "vehicle", "released")
    assert (await camera(w, "沪A12345", confidence=0.4))["reason"] == "plate_unsure"
    log = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))).all()
    assert [(e.reason, e.holder_name) for e in log] == [
        ("unknown", "沪A12345"),
        ("vehicle", "沪A12345 · Wang Xiaoming"),
        ("plate_unsure", "沪A12345"),
    ]
    audits = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "vehicles.approve")
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [a.allowed for a in audits] == [False, True]

    # Staff see it inside, then its stay with the dwell time once it leaves.
    g = w.group
    await g.send(GUARD_ID, "/cars")
    inside = await g.expect("Vehicles inside now (1)")
    assert "沪A12345 · 3栋-1201" in inside["text"]
    w.clock.advance(timedelta(minutes=95))
    assert (await camera(w, "沪A12345", direction="out"))["granted"]
    await g.send(GUARD_ID, "/cars")
    await g.expect("No vehicles inside now.")
    await g.send(GUARD_ID, "/cars log")
    stays = await g.expect("The latest vehicle stays")
    assert "沪A12345" in stays["text"] and "1 h 35 min" in stays["text"], stays["text"]

    # The black list wins over the registration; a text that is no plate is answered.
    await g.send(GUARD_ID, "/plateblock 沪A-12345 stolen")
    await g.expect("is on the black list")
    await g.send(GUARD_ID, "/plateallow nonsense")
    await g.expect("not a Chinese plate number")
    assert (await camera(w, "沪A12345"))["reason"] == "blocked"
    await g.send(GUARD_ID, "/platelists")
    assert "⛔ 沪A12345 · stolen" in (await g.expect("Black (⛔)"))["text"]
    await g.send(GUARD_ID, "/plateunlist 沪A12345")
    await g.expect("is off the lists")
    assert (await camera(w, "沪A12345"))["reason"] == "vehicle"

    # The car is sold: staff end the registration, and the plate stops opening.
    await g.send(GUARD_ID, "/plateend 沪A12345")
    await g.expect("is no longer registered")
    assert (await camera(w, "沪A12345"))["reason"] == "unknown"
    await g.send(GUARD_ID, "/plateend 沪A12345")
    await g.expect("No home has that plate registered.")

    # The parking tariff: the guard sees it, only the manager sets it.
    await g.send(GUARD_ID, "/parkingfees")
    await g.expect("No temporary parking is billed.")
    await g.send(GUARD_ID, "/setparkingfees free=30 small=5/30")
    assert "Only" in (await g.expect("Only"))["text"]
    await g.send(MANAGER_ID, "/setparkingfees free=30 small=five")
    await g.expect("Please write it like")
    await g.send(MANAGER_ID, "/setparkingfees free=30 small=5/30 large=10")
    fees = await g.expect("30 minutes free")
    assert "CN¥5.00 an hour, at most CN¥30.00 a day" in fees["text"], fees["text"]
    assert "CN¥10.00 an hour" in fees["text"]
