"""Plates at the vehicle gate, through the real gate HTTP API: a resident's approved
plate, a visitor pass's plate, the lists, low confidence, unreadable text, a plate on
two units, a move-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from access.models import AccessLogEntry
from access.passes import issue_visitor_pass
from access.plates import VehicleClass
from access.vehicles.lists import set_listed
from access.vehicles.models import ListKind
from access.vehicles.parking import (
    ParkingError,
    check_parking_checkout,
    record_parking_payment,
    stay_by_code,
)
from access.vehicles.registry import VehicleError, decide_vehicle, register_vehicle
from core.clock import FrozenClock
from core.models import Residency
from core.residents.residencies import end_residency
from tests.access.test_api import auth
from tests.conftest import TEST_SECRET
from tests.factories import make_resident, make_unit


async def _plate(http, api, site, plate, gate="车库", **extra):
    gid, key = site.gate_ids[gate], site.keys[gate]
    body = {"plate": plate, "terminal": "lane-1", **extra}
    async with http.post(f"{api}/v1/gates/{gid}/verify", json=body, headers=auth(key)) as r:
        return r.status, await r.json()


async def _registered(session, site, clock, plate="沪A12345"):
    row = await register_vehicle(
        session,
        now=clock.now(),
        person_id=site.host.id,
        unit_id=site.unit.id,
        plate=plate,
        vehicle_class=VehicleClass.SMALL,
        document_file_id="file-1",
        document_media="photo",
    )
    await decide_vehicle(
        session,
        now=clock.now(),
        vehicle_id=row.id,
        community_id=site.community.id,
        staff_person_id=site.host.id,
        approve=True,
    )
    await session.commit()
    return row


async def test_resident_plate_opens_the_vehicle_gate_only(session, site, clock, api, http):
    row = await _registered(session, site, clock)
    assert row.document_file_id is None  # the certificate is gone once decided
    status, body = await _plate(http, api, site, "沪a·123 45", confidence=0.97)
    assert status == 200 and body["granted"] and body["reason"] == "vehicle"
    assert body["holder"] == "沪A12345 · 王小明"
    _, body = await _plate(http, api, site, "沪A12345", gate="东门")
    assert (body["granted"], body["reason"]) == (False, "wrong_gate")
    _, body = await _plate(http, api, site, "沪A12345", confidence=0.5)
    assert (body["granted"], body["reason"]) == (False, "plate_unsure")
    _, body = await _plate(http, api, site, "NOT A PLATE")
    assert (body["granted"], body["reason"]) == (False, "plate_unreadable")
    log = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))).all()
    assert [(e.method, e.reason) for e in log] == [
        ("plate", "vehicle"),
        ("plate", "wrong_gate"),
        ("plate", "plate_unsure"),
        ("plate", "plate_unreadable"),
    ]
    assert log[-1].holder_name == "NOT A PLATE"


async def test_malformed_plate_bodies_are_clear_400s(site, api, http):
    for extra in ({"plate": 7}, {"plate": ""}, {"plate": "沪" * 40}):
        status, body = await _plate(http, api, site, **{"plate": "x", **extra})
        assert status == 400 and body["error"] == "malformed"
    for bad in ("high", True, 1.5, -0.1):
        status, body = await _plate(http, api, site, "沪A12345", confidence=bad)
        assert status == 400 and "confidence" in body["detail"]
    gid, key = site.gate_ids["车库"], site.keys["车库"]
    async with http.post(
        f"{api}/v1/gates/{gid}/verify", json={"code": "123", "confidence": 1}, headers=auth(key)
    ) as r:
        assert r.status == 400


async def test_a_plate_on_two_units_is_refused(session, site, clock):
    await _registered(session, site, clock)
    other_unit = await make_unit(session, site.community, "5栋", "301")
    neighbour, _ = await make_resident(session, other_unit, telegram_id=5002, name="李四")
    try:
        await register_vehicle(
            session,
            now=clock.now(),
            person_id=neighbour.id,
            unit_id=other_unit.id,
            plate="沪A 12345",
            vehicle_class=VehicleClass.SMALL,
            document_file_id="file-2",
            document_media="document",
        )
    except VehicleError as exc:
        assert exc.code == "plate_taken"
    else:
        raise AssertionError("a plate held by another unit was registered")
    # A new-energy plate tells its class; a 7-character one needs small or large.
    for plate, said, code in (("沪A1234", None, "bad_plate"), ("沪B12345", None, "bad_class")):
        try:
            await register_vehicle(
                session,
                now=clock.now(),
                person_id=neighbour.id,
                unit_id=other_unit.id,
                plate=plate,
                vehicle_class=said,
                document_file_id="f",
                document_media="photo",
            )
        except VehicleError as exc:
            assert exc.code == code
        else:
            raise AssertionError(plate)


async def test_visitor_pass_plate_and_lists_and_move_out(session, site, clock, api, http):
    now = clock.now()
    await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=now,
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        holder_name="张三",
        purpose="探亲",
        valid_from=now,
        valid_until=now + timedelta(hours=2),
        multi_entry=False,
        gate_ids=[],
        car_plate="粤B d12345",
    )
    await _registered(session, site, clock)
    await set_listed(
        session,
        now=now,
        community_id=site.community.id,
        plate="京C00001",
        kind=ListKind.ALLOW,
        note="环卫车",
        staff_person_id=None,
    )
    await set_listed(
        session,
        now=now,
        community_id=site.community.id,
        plate="京C00002",
        kind=ListKind.BLOCK,
        note="",
        staff_person_id=None,
    )
    await session.commit()
    _, body = await _plate(http, api, site, "粤BD12345")
    assert (body["granted"], body["reason"], body["holder"]) == (True, "ok", "粤BD12345 · 张三")
    _, body = await _plate(http, api, site, "粤BD12345")  # single entry, spent
    assert (body["granted"], body["reason"]) == (False, "used")
    _, body = await _plate(http, api, site, "粤BD12345", direction="out")
    assert (body["granted"], body["reason"]) == (True, "exit")
    _, body = await _plate(http, api, site, "京C00001")
    assert (body["granted"], body["reason"]) == (True, "listed")
    _, body = await _plate(http, api, site, "京C00002")
    assert (body["granted"], body["reason"]) == (False, "blocked")
    _, body = await _plate(http, api, site, "京C00003")
    assert (body["granted"], body["reason"]) == (False, "unknown")
    # The residency ends: the plate stops at once.
    res = await session.scalar(select(Residency).where(Residency.person_id == site.host.id))
    await end_residency(session, res.id, clock=FrozenClock(now), reason="moved_out")
    await session.commit()
    _, body = await _plate(http, api, site, "沪A12345")
    assert (body["granted"], body["reason"]) == (False, "unknown")


async def test_a_registration_is_decided_once(session, site, clock):
    row = await _registered(session, site, clock)
    for approve in (True, False):
        try:
            await decide_vehicle(
                session,
                now=clock.now(),
                vehicle_id=row.id,
                community_id=site.community.id,
                staff_person_id=site.host.id,
                approve=approve,
            )
        except VehicleError as exc:
            assert exc.code == "already_decided"
        else:
            raise AssertionError("decided twice")
    # Another community's id finds nothing.
    try:
        await decide_vehicle(
            session,
            now=clock.now(),
            vehicle_id=row.id,
            community_id=site.community.id + 1000,
            staff_person_id=site.host.id,
            approve=True,
        )
    except VehicleError as exc:
        assert exc.code == "not_found"


async def test_parking_checkout_and_a_payment_after_the_exit(session, site, clock, api, http):
    site.community.config = {
        "parking": {"free_min": 30, "hourly": {"small": 500}, "daily_cap": {"small": 3000}}
    }
    now = clock.now()
    await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=now,
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        holder_name="张三",
        purpose="探亲",
        valid_from=now,
        valid_until=now + timedelta(hours=4),
        multi_entry=False,
        gate_ids=[],
        car_plate="沪B54321",
    )
    await session.commit()
    assert (await _plate(http, api, site, "沪B54321"))[1]["granted"]
    clock.advance(timedelta(minutes=20))
    assert (await _plate(http, api, site, "沪B54321", direction="out"))[1]["granted"]  # free
    assert (await _plate(http, api, site, "沪B54321"))[1]["reason"] == "used"  # single entry

    await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=clock.now(),
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        holder_name="张三",
        purpose="探亲",
        valid_from=clock.now(),
        valid_until=clock.now() + timedelta(hours=4),
        multi_entry=True,
        gate_ids=[],
        car_plate="沪B54321",
    )
    await session.commit()
    assert (await _plate(http, api, site, "沪B54321"))[1]["granted"]
    clock.advance(timedelta(minutes=61))
    _, held = await _plate(http, api, site, "沪B54321", direction="out")
    assert held["reason"] == "payment_due" and held["payment"]["amount_minor"] == 1000
    stay = await stay_by_code(session, TEST_SECRET, held["payment"]["pay_code"])
    assert stay is not None and stay.plate == "沪B54321"
    for amount, code in ((999, "amount_changed"),):
        with pytest.raises(ParkingError) as refused:
            await check_parking_checkout(session, stay.id, amount, clock.now())
        assert refused.value.code == code
    await check_parking_checkout(session, stay.id, 1000, clock.now())
    paid = {"stay_id": stay.id, "amount_minor": 1000, "charge_id": "c1", "now": clock.now()}
    assert (await record_parking_payment(session, **paid))[1] is True
    assert (await record_parking_payment(session, **paid))[1] is False  # reported twice
    await session.commit()
    with pytest.raises(ParkingError) as refused:
        await check_parking_checkout(session, stay.id, 1000, clock.now())
    assert refused.value.code == "nothing_due"
    assert (await _plate(http, api, site, "沪B54321", direction="out"))[1]["reason"] == "exit"
    with pytest.raises(ParkingError) as refused:
        await check_parking_checkout(session, stay.id, 1000, clock.now())
    assert refused.value.code == "left"
    late, new = await record_parking_payment(session, **{**paid, "charge_id": "c2"})
    assert new and late is not None and not late.inside and late.paid_minor == 2000
