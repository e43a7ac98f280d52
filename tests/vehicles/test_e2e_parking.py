"""Temporary parking end to end: a visitor's car in through the plate reader, held at
the exit until its host pays in the chat (emulator payments), then out; the old invoice
refused once the exit opened; a stranger paying with the exit's code; a resident's car
whose home pays monthly parking leaves free."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from access.api import serve
from access.gates import create_gate
from access.models import AccessLogEntry, GateKind
from access.passes import issue_visitor_pass
from access.plates import VehicleClass
from access.vehicles.registry import decide_vehicle, register_vehicle
from core.clock import FrozenClock
from core.fees.models import FeeKind, FeeScope
from core.fees.schedule import Target, add_fee_item
from core.models import AuditEntry, Person, StaffRole
from tests.access.conftest import START
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit
from tests.harness import start_bot

HOST_ID, NEIGHBOUR_ID, DRIVER_ID = 521, 522, 771
GROUP_ID, GUARD_ID, MANAGER_ID = -100523, 524, 525
TARIFF = {
    "free_min": 30,
    "hourly": {"small": 500, "large": 1000, "new_energy": 300},
    "daily_cap": {"small": 3000, "large": 6000, "new_energy": 2000},
}


@dataclass
class World:
    clock: FrozenClock
    api: str
    gate_id: int
    key: str
    host: Any
    driver: Any
    app: Any
    group: Any


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={
            "send_interval_private_s": 0.01,
            "payments_provider_token": SecretStr("284685063:TEST:parking"),
        }
    )


async def _pass(session, host: Person, unit_id: int, plate: str) -> None:
    await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=START,
        host_person_id=host.id,
        host_unit_id=unit_id,
        holder_name="Zhang San",
        purpose="Dinner",
        valid_from=START,
        valid_until=START + timedelta(hours=6),
        multi_entry=False,
        gate_ids=[],
        car_plate=plate,
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[World]:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=False, locale="en"
    )
    await make_staff(session, community, GUARD_ID, "Zhao Guard", StaffRole.GUARD, locale="en")
    await make_staff(session, community, MANAGER_ID, "Li Manager", locale="en")
    community.config = {"parking": TARIFF}
    unit = await make_unit(session, community, "3栋", "1201")
    other = await make_unit(session, community, "5栋", "301")
    host, _ = await make_resident(session, unit, HOST_ID, "Wang Xiaoming", locale="en")
    neighbour, _ = await make_resident(session, other, NEIGHBOUR_ID, "Li Si", locale="en")
    gate = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=community.id,
        name="Car Park",
        kind=GateKind.VEHICLE,
    )
    await _pass(session, host, unit.id, "粤B12345")
    await _pass(session, host, unit.id, "京A00002")
    # The neighbour's home pays monthly parking: their registered car leaves free.
    await add_fee_item(
        session,
        community,
        name="Parking space",
        kind=FeeKind.PARKING,
        amount_minor=20000,
        scope=FeeScope.UNITS,
        targets=[Target(unit_id=other.id, quantity=1)],
        due_day=20,
    )
    row = await register_vehicle(
        session,
        now=START,
        person_id=neighbour.id,
        unit_id=other.id,
        plate="沪C55555",
        vehicle_class=VehicleClass.SMALL,
        document_file_id="f",
        document_media="photo",
    )
    await decide_vehicle(
        session,
        now=START,
        vehicle_id=row.id,
        community_id=community.id,
        staff_person_id=neighbour.id,
        approve=True,
    )
    await session.commit()
    group = emulator.group(GROUP_ID, "Sunny Garden staff")
    group.add_member(GUARD_ID, "Zhao Guard")
    group.add_member(MANAGER_ID, "Li Manager")
    host_chat = emulator.user(HOST_ID, "Wang", language_code="en")
    driver = emulator.user(DRIVER_ID, "Zhang", language_code="en")
    clock = FrozenClock(START)
    async with start_bot(settings, emulator, clock=clock) as app:
        runner = await serve(app.ctx.gate, "127.0.0.1", 0)
        try:
            yield World(
                clock,
                f"http://127.0.0.1:{runner.addresses[0][1]}",
                gate.gate.id,
                gate.api_key,
                host_chat,
                driver,
                app,
                group,
            )
        finally:
            await runner.cleanup()


async def camera(w: World, plate: str, direction: str) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{w.api}/v1/gates/{w.gate_id}/verify",
            json={"plate": plate, "confidence": 0.97, "direction": direction},
            headers={"Authorization": f"Bearer {w.key}"},
        ) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_visitor_car_pays_parking_before_the_exit_opens(world, session):
    w = world
    for plate in ("粤B12345", "京A00002", "沪C55555"):
        assert (await camera(w, plate, "in"))["granted"]
    w.clock.advance(timedelta(minutes=95))

    held = await camera(w, "粤B12345", "out")
    assert (held["granted"], held["reason"]) == (False, "payment_due")
    assert held["payment"]["amount_minor"] == 1000 and held["payment"]["currency"] == "CNY"
    assert re.fullmatch(r"\d{8}", held["payment"]["pay_code"])
    # The resident's car: their home pays monthly parking.
    assert (await camera(w, "沪C55555", "out"))["granted"]

    # The host is told at once, and pays in the chat.
    notice = await w.host.expect("粤B12345 is at the exit of Car Park: CN¥10.00 parking to pay")
    await w.host.send("/parking")
    listing = await w.host.expect("Parking to pay")
    assert "粤B12345" in listing["text"] and "CN¥10.00 due" in listing["text"], listing["text"]
    assert (await camera(w, "粤B12345", "out"))["reason"] == "payment_due"  # told once
    await w.host.press(notice, "Pay 粤B12345")
    invoice = await w.host.expect(invoice=True)
    assert (await w.host.pay(invoice)).ok
    await w.host.expect("Parking for 粤B12345 is paid")
    out = await camera(w, "粤B12345", "out")
    assert (out["granted"], out["reason"]) == (True, "exit")

    # The same invoice once the exit opened: refused, nothing charged.
    again = await w.host.pay(invoice)
    assert not again.ok and "already left" in (again.error_message or "")

    # The second car's driver pays with the code the exit showed.
    second = await camera(w, "京A00002", "out")
    assert second["reason"] == "payment_due" and second["payment"]["amount_minor"] == 1000
    await w.driver.send("/parking 12345678")
    await w.driver.expect("matches no car")
    await w.driver.send(f"/parking {second['payment']['pay_code']}")
    driver_invoice = await w.driver.expect(invoice=True)
    assert (await w.driver.pay(driver_invoice)).ok
    await w.driver.expect("Parking for 京A00002 is paid")
    assert (await camera(w, "京A00002", "out"))["granted"]

    told = [m for m in w.host.messages if "粤B12345 is at the exit" in (m.get("text") or "")]
    assert len(told) == 1  # once per stay, however often the camera reads it
    await w.host.expect("京A00002 is at the exit")
    reasons = (
        await session.scalars(
            select(AccessLogEntry.reason)
            .where(AccessLogEntry.direction == "out")
            .order_by(AccessLogEntry.id)
        )
    ).all()
    assert reasons == ["payment_due", "vehicle", "payment_due", "exit", "payment_due", "exit"]
    assert (
        await session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("parking%")))
        is None
    )
