"""The gate end to end: residents, visitors and staff through the Bot API emulator,
the terminal over real HTTP, the simulated door."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from access.api import serve
from access.gates import create_gate
from access.models import AccessLogEntry, Pass, PassStatus
from bot.sandbox.server import decode_qr
from core.clock import FrozenClock
from core.models import AuditEntry, Community, Person, StaffRole
from tests.access.conftest import START
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit
from tests.harness import start_bot

GROUP_ID = -1001000000077
RESIDENT_ID = 501
VISITOR_ID = 777
GUARD_ID = 601
MANAGER_ID = 602


@dataclass
class World:
    community: Community
    host: Person
    keys: dict[str, str]
    gate_ids: dict[str, int]
    app: Any = None
    api: str = ""
    resident: Any = None
    group: Any = None


@pytest.fixture
def settings(settings):
    # Telegram's pacing is the sender's business (tested there); here it would only
    # make every step wait.
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[World]:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=False, locale="en"
    )
    unit = await make_unit(session, community, "3栋", "1201")
    host, _ = await make_resident(session, unit, RESIDENT_ID, "Wang Xiaoming", locale="en")
    await make_staff(session, community, GUARD_ID, "Zhao Guard", StaffRole.GUARD, locale="en")
    await make_staff(session, community, MANAGER_ID, "Li Manager", locale="en")
    keys, ids = {}, {}
    for name in ("East Gate", "North Gate"):
        created = await create_gate(
            session, secret_key=TEST_SECRET, community_id=community.id, name=name
        )
        keys[name], ids[name] = created.api_key, created.gate.id
    await session.commit()
    w = World(community, host, keys, ids)
    w.resident = emulator.user(RESIDENT_ID, "Wang", language_code="en")
    w.group = emulator.group(GROUP_ID, "Sunny Garden staff")
    w.group.add_member(GUARD_ID, "Zhao Guard")
    w.group.add_member(MANAGER_ID, "Li Manager")
    emulator.user(GUARD_ID, "Zhao Guard")
    emulator.user(MANAGER_ID, "Li Manager")
    async with start_bot(settings, emulator, clock=FrozenClock(START)) as app:
        w.app = app
        runner = await serve(app.ctx.gate, "127.0.0.1", 0)
        w.api = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield w
        finally:
            await runner.cleanup()


async def terminal(w: World, gate: str, body: dict) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{w.api}/v1/gates/{w.gate_ids[gate]}/verify",
            json=body,
            headers={"Authorization": f"Bearer {w.keys[gate]}"},
        ) as response,
    ):
        return response.status, await response.json()


def qr_payload(emulator, message: dict) -> str:
    largest = max(message["photo"], key=lambda p: p["width"])
    return decode_qr(emulator.world.files[largest["file_id"]].data) or ""


async def invite(resident, *, multi: bool = False) -> tuple[str, str, dict]:
    await resident.send("/invite")
    ask = await resident.expect("What is the visitor's name?")
    await resident.send("Zhang San")
    await resident.expect("What is the purpose of the visit?")
    await resident.send("Dinner with family")
    window = await resident.expect("When may the visitor come in?")
    await resident.press(window, "⏱ Next 2 hours")
    entries = await resident.expect("Single entry, or any number")
    await resident.press(
        entries, "🔁 Multiple entries within the window" if multi else "1️⃣ Single entry"
    )
    car = await resident.expect("coming by car")
    await resident.send("not a plate!")
    await resident.expect("does not look like a plate")
    await resident.send("沪A 12345")
    gates = await resident.expect("Which gates may they use?")
    await resident.press(gates, "▫️ East Gate")
    await resident.expect_edit(gates)
    await resident.press(gates, "Done ➡️")
    summary = await resident.expect("Please check the pass")
    assert "Car: 沪A12345" in summary["text"] and "Gates: East Gate" in summary["text"]
    assert "Visitor: Zhang San" in summary["text"]
    await resident.press(summary, "✅ Create the pass")
    card = await resident.expect("is ready")
    qr = await resident.expect("QR code of pass", photo=True)
    code = re.search(r"Code: (\d{4}) (\d{4})", card["text"])
    link = re.search(r"start=(v_[\w-]+)", card["text"])
    assert code and link, card["text"]
    assert ask and car
    return code.group(1) + code.group(2), link.group(1), qr


async def test_visitor_flow_end_to_end(world, emulator, session):
    w = world
    code, payload, host_qr = await invite(w.resident)
    assert qr_payload(emulator, host_qr)  # the host has the QR too

    # The visitor opens the forwarded link: no sign-up, their own language.
    visitor = emulator.user(VISITOR_ID, "Zhang", language_code="zh-hans")
    await visitor.send(f"/start {payload}")
    card = await visitor.expect("Sunny Garden")
    assert f"{code[:4]} {code[4:]}" in card["text"]
    assert "East Gate" in card["text"] and "上海市浦东新区阳光路 1 号" in card["text"]
    assert "通行" in card["text"]  # Chinese: the visitor's Telegram language
    photo = await visitor.expect(photo=True)
    token = qr_payload(emulator, photo)
    assert len(token) >= 22

    # The terminal verifies the code over real HTTP; the simulated door opens.
    status, body = await terminal(w, "East Gate", {"code": code, "terminal": "east-keypad"})
    assert status == 200 and body["granted"] and body["door"] == "released"
    assert body["holder"] == "Zhang San"
    door = w.app.ctx.gate.doors.existing(w.gate_ids["East Gate"])
    assert door.releases == 1 and door.state == "released"

    # The host is told who came in, where and when (10:00 in Shanghai).
    note = await w.resident.expect("came in through East Gate")
    assert "Zhang San" in note["text"] and "10:00" in note["text"]

    # A second use is denied, by code and by QR; the door stays shut.
    status, body = await terminal(w, "East Gate", {"code": code})
    assert (status, body["granted"], body["reason"]) == (200, False, "used")
    status, body = await terminal(w, "East Gate", {"qr": token})
    assert (status, body["granted"], body["reason"]) == (200, False, "used")
    assert door.releases == 1
    # The QR only ever worked at the gate the resident chose.
    status, body = await terminal(w, "North Gate", {"qr": token})
    assert body["reason"] == "wrong_gate"

    # "Who used my passes" shows it.
    await w.resident.send("/passhistory")
    history = await w.resident.expect("Who used your passes")
    assert "Zhang San" in history["text"] and "entered" in history["text"]
    assert "pass already used" in history["text"]

    # After the pass is used up, the link says so.
    await visitor.send(f"/start {payload}")
    await visitor.expect("已经使用")


async def test_revoke_from_my_passes(world, emulator, session):
    w = world
    code, _payload, _qr = await invite(w.resident, multi=True)
    await w.resident.send("/passes")
    listing = await w.resident.expect("Your active passes")
    assert "Zhang San" in listing["text"]
    await w.resident.press(listing, re.search(r"🚫 Revoke #\d+", str(listing)).group(0))
    ask = await w.resident.expect("It stops working at every gate at once")
    await w.resident.press(ask, "🚫 Yes, revoke")
    await w.resident.expect_edit(ask, text_contains="is revoked")
    _status, body = await terminal(w, "East Gate", {"code": code})
    assert body["reason"] == "revoked" and not body["granted"]
    await w.resident.send("/passes")
    await w.resident.expect("You have no active passes")


async def test_invite_accepts_only_what_it_asks_and_cancels_cleanly(world, session):
    w = world
    await w.resident.send("/invite")
    await w.resident.expect("What is the visitor's name?")
    await w.resident.send_location(31.2, 121.5)
    await w.resident.expect("Please send the visitor's name as text")
    await w.resident.send("Zhang San")
    await w.resident.expect("purpose")
    await w.resident.send("Visit")
    window = await w.resident.expect("When may the visitor come in?")
    await w.resident.press(window, "🗓 Custom…")
    await w.resident.expect("Send the start and the end")
    await w.resident.send("tomorrow please")
    await w.resident.expect("I could not read that")
    await w.resident.send("2026-11-26 09:00 - 2026-12-05 09:00")
    await w.resident.expect("at most 7 days")
    await w.resident.send("2026-11-26 09:00 - 18:00")
    await w.resident.expect("Single entry, or any number")
    await w.resident.send("/cancel")
    await w.resident.expect("Cancelled. Nothing was saved.")
    assert (await session.scalars(select(Pass))).all() == []


async def test_worker_pass_approved_in_the_group(world, emulator, session):
    w = world
    r = w.resident
    await r.send("/workerpass")
    kind = await r.expect("What kind of work?")
    await r.press(kind, "Renovation")
    await r.expect("The worker's full name?")
    await r.send("Li Shifu")
    await r.expect("phone number")
    await r.send("call me maybe")
    await r.expect("does not look like a phone number")
    await r.send("139 0000 1111")
    company = await r.expect("Their company?")
    await r.send("Good Home Decor")
    dates = await r.expect("Which days?")
    await r.send("2026-11-25 - 2026-11-30")
    hours = await r.expect("Daily hours?")
    await r.send("08:00-18:00")
    days = await r.expect("On which weekdays?")
    await r.press(days, "Mon–Sat")
    gates = await r.expect("Which gates may they use?")
    await r.press(gates, "Done ➡️")
    summary = await r.expect("Please check the request")
    assert "08:00–18:00, Mon–Sat" in summary["text"]
    await r.press(summary, "📨 Send for approval")
    await r.expect("is with the property office")
    assert company and dates and hours

    card = await w.group.expect("Worker pass request")
    assert "Li Shifu" in card["text"] and "13900001111" in card["text"]
    w.group.add_member(999, "Stranger")
    refused = await w.group.press(card, "✅ Approve", from_user=999)
    assert "Only" in (refused or {}).get("text", "")
    await w.group.press(card, "✅ Approve", from_user=GUARD_ID)
    await w.group.expect_edit(card, text_contains="Approved by Zhao Guard")
    approved = await r.expect("is approved")
    await r.expect("QR code of pass", photo=True)
    code = "".join(re.search(r"Code: (\d{4}) (\d{4})", approved["text"]).groups())

    # Multi-use inside the hours (Wednesday 10:00 local).
    for _ in range(2):
        _status, body = await terminal(w, "North Gate", {"code": code})
        assert body["granted"] and body["pass_kind"] == "worker"
    row = await session.scalar(select(Pass).where(Pass.holder_name == "Li Shifu"))
    assert row.status == PassStatus.ACTIVE and row.decided_by_person_id is not None
    audits = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "passes.worker_approve")
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [a.allowed for a in audits] == [False, True]  # the stranger, then the guard


async def test_staff_open_log_and_emergency(world, emulator, session):
    w = world
    g = w.group
    await g.send(GUARD_ID, "/open east gate")
    await g.expect("East Gate opened by Zhao Guard")
    runtime = w.app.ctx.gate
    assert runtime.doors.existing(w.gate_ids["East Gate"]).releases == 1

    g.add_member(999, "Stranger")
    await g.send(999, "/open East Gate")
    await g.expect("Only")

    await g.send(GUARD_ID, "/open")
    pick = await g.expect("Which gate?")
    await g.press(pick, "🚪 North Gate", from_user=MANAGER_ID)
    await g.expect("North Gate opened by Li Manager")

    # The guard cannot switch emergency mode; the manager can.
    await g.send(GUARD_ID, "/emergency open")
    await g.expect("Only manager")
    await g.send(MANAGER_ID, "/emergency open")
    await g.expect("EMERGENCY MODE")
    for gate_id in w.gate_ids.values():
        assert runtime.doors.existing(gate_id).state == "held_open"
    _status, body = await terminal(w, "East Gate", {"code": "12345678"})
    assert body["granted"] and body["reason"] == "emergency"
    await g.send(MANAGER_ID, "/emergency end")
    await g.expect("Emergency mode ended")
    assert runtime.doors.existing(w.gate_ids["East Gate"]).state != "held_open"

    await g.send(GUARD_ID, "/log East Gate")
    log = await g.expect("Gate log")
    assert "opened by staff" in log["text"] and "emergency mode" in log["text"]
    await g.press(log, "📄 Export CSV", from_user=GUARD_ID)
    doc = await g.expect(document=True)
    data = emulator.world.files[doc["document"]["file_id"]].data.decode("utf-8-sig")
    assert data.splitlines()[0].startswith("id,time_utc,time_local,gate")
    assert "East Gate" in data and "staff" in data
    await g.send(GUARD_ID, "/log 3栋-1201")
    await g.expect("No gate activity matches")
    await g.send(GUARD_ID, "/log nowhere")
    await g.expect("I don't know")
    rows = (await session.scalars(select(AccessLogEntry))).all()
    assert {r.method for r in rows} == {"staff", "code"}


async def test_remote_open_and_lockout_alert(world, emulator, session):
    w = world
    await w.resident.send("/opengate")
    pick = await w.resident.expect("Which gate should I open?")
    await w.resident.press(pick, "🚪 East Gate")
    confirm = await w.resident.expect("Open East Gate now?")
    assert "Only open it for someone you can see or expect" in confirm["text"]
    await w.resident.press(confirm, "🔓 Open now")
    await w.resident.expect("East Gate is open")
    row = await session.scalar(select(AccessLogEntry).where(AccessLogEntry.method == "remote"))
    assert row.granted and row.person_id == w.host.id

    # Five wrong codes at the keypad: locked, and the staff group hears about it.
    for _ in range(5):
        await terminal(w, "North Gate", {"code": "00000001"})
    alert = await w.group.expect("wrong codes")
    status, body = await terminal(w, "North Gate", {"code": "00000002"})
    assert status == 429 and body["reason"] == "locked_out"
    await w.group.press(alert, "🔓 Clear the lock-out", from_user=GUARD_ID)
    await w.group.expect_edit(alert, text_contains="Cleared by Zhao Guard")
    status, body = await terminal(w, "North Gate", {"code": "00000002"})
    assert status == 200 and body["reason"] == "unknown"


async def test_door_events_alert_the_group(world):
    w = world
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{w.api}/v1/gates/{w.gate_ids['North Gate']}/events",
            json={"type": "door_forced", "details": "left leaf"},
            headers={"Authorization": f"Bearer {w.keys['North Gate']}"},
        ) as response,
    ):
        assert response.status == 202
    alarm = await w.group.expect("door forced open")
    assert "North Gate" in alarm["text"] and "left leaf" in alarm["text"]


async def test_host_hears_about_an_overstay(world, emulator, session):
    w = world
    code, _payload, _qr = await invite(w.resident)
    _status, body = await terminal(w, "East Gate", {"code": code})
    assert body["granted"]
    await w.resident.expect("came in through East Gate")
    clock = w.app.ctx.clock
    clock.advance(timedelta(hours=2, minutes=31))  # the 2-hour window plus the grace
    await w.app.ctx.scheduler.run_now("access.expire")
    await w.app.ctx.scheduler.run_now("access.overstay")
    alert = await w.resident.expect("has not been recorded leaving")
    assert "Zhang San" in alert["text"] and "10:00" in alert["text"]
    await w.app.ctx.scheduler.run_now("access.overstay")
    await w.resident.expect_nothing(within=0.5, text_contains="recorded leaving")
    row = await session.scalar(select(Pass))
    await session.refresh(row)
    assert row.status == PassStatus.EXPIRED and row.overstay_notified_at is not None


async def test_a_pass_link_opens_in_the_middle_of_another_conversation(world, emulator):
    """A visitor link forwarded to someone who is half-way through a flow still opens
    the pass: no step's catch-all takes the link as its answer."""
    w = world
    _code, payload, _qr = await invite(w.resident)
    await w.resident.send("/ticket")
    await w.resident.expect("What would you like to report?")
    await w.resident.send(f"/start {payload}")
    card = await w.resident.expect("Sunny Garden")
    assert "Zhang San" in card["text"]
