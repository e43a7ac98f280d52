"""The /privacy export covers every area that keeps personal data — tickets, passes and
gate records, payments — with what the person sees as theirs, no credential of a pass,
nothing of another person's; and what erasure blanks or keeps there (decision 0013)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from access.gates import create_gate
from access.models import AccessLogEntry, DoorDriverKind, Pass, PassStatus, WorkerCategory
from access.passes import (
    ALL_WEEKDAYS,
    IssuedPass,
    approve_worker_pass,
    issue_visitor_pass,
    personal_access_data,
    request_worker_pass,
)
from access.service import AccessRuntime
from access.verification import Credential, Method
from core.clock import FrozenClock
from core.fees.billing import generate_bills
from core.fees.common import Period
from core.fees.ledger import refund_payment
from core.fees.models import Bill, FeeKind, Payment
from core.fees.payments import create_invoice, record_successful_payment
from core.fees.schedule import add_fee_item
from core.models import Community, Person, Unit
from core.residents import erase_personal_data, personal_export
from core.tickets import service as tickets
from core.tickets.models import LinkRole, RepairCategory, Ticket, TicketKind
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit

# A Wednesday, 10:00 in Shanghai.
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
GROUP = -1009000000001
ME_TG = 5001


@dataclass
class World:
    community: Community
    my_unit: Unit
    me: Person
    neighbour: Person
    manager: Person
    gate_id: int
    visitor: IssuedPass
    worker: IssuedPass
    neighbours_visitor: IssuedPass
    closed_ticket: Ticket
    open_ticket: Ticket


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def runtime(database_url, clock):
    rt = AccessRuntime(database_url=database_url, secret_key=TEST_SECRET, clock=clock)
    try:
        yield rt
    finally:
        await rt.close()


async def _visitor(
    session, host: Person, unit: Unit, name: str, gate_id: int, plate: str | None = None
) -> IssuedPass:
    issued = await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=START,
        host_person_id=host.id,
        host_unit_id=unit.id,
        holder_name=name,
        purpose="探亲",
        valid_from=START,
        valid_until=START + timedelta(hours=4),
        multi_entry=False,
        gate_ids=[gate_id],
        car_plate=plate,
    )
    await session.commit()
    return issued


async def _pay(session, unit: Unit, payer: Person, charge: str) -> Payment:
    draft = await create_invoice(session, unit_id=unit.id, person_id=payer.id, now=START)
    result = await record_successful_payment(
        session,
        payload=draft.payload,
        currency=draft.invoice.currency,
        total_amount=draft.invoice.amount_minor,
        telegram_payment_charge_id=charge,
        provider_payment_charge_id=f"prov-{charge}",
        payer_person_id=payer.id,
        chat_id=payer.telegram_id,
        now=START,
    )
    await session.commit()
    return result.payment


@pytest.fixture
async def world(session, clock, runtime) -> World:
    community = await make_community(session, "阳光花园", admin_chat_id=GROUP)
    my_unit = await make_unit(session, community, "3栋", "1201")
    their_unit = await make_unit(session, community, "5栋", "0101")
    me, _ = await make_resident(session, my_unit, ME_TG, "王小明")
    neighbour, _ = await make_resident(session, their_unit, 5002, "赵六")
    manager, _ = await make_staff(session, community, 900, "李经理")
    gate = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=community.id,
        name="东门",
        driver=DoorDriverKind.SIMULATED,
        driver_config={"pulse_ms": 500},
    )
    gate_id = gate.gate.id
    await session.commit()

    # Tickets: one fixed, rated and closed after a conversation with staff; one open.
    closed = await tickets.file_ticket(
        session,
        clock,
        community=community,
        reporter_person_id=me.id,
        kind=TicketKind.REPAIR,
        category=RepairCategory.WATER,
        description="厨房水管漏水，家里老人行动不便",
        unit_id=my_unit.id,
        media=[tickets.MediaItem("photo", "FILE-ID-NOT-EXPORTED", "uniq-photo-1")],
    )
    for chat_id, message_id, role in (
        (ME_TG, 11, LinkRole.FROM_RESIDENT),
        (GROUP, 901, LinkRole.FROM_RESIDENT),
        (GROUP, 902, LinkRole.TO_RESIDENT),
        (ME_TG, 12, LinkRole.TO_RESIDENT),
        (GROUP, 903, LinkRole.CARD),
    ):
        await tickets.link_message(session, closed.id, chat_id, message_id, role)
    await tickets.take(session, clock, closed, manager.id)
    await tickets.resolve(session, clock, closed, manager.id)
    await tickets.reopen(session, clock, closed, me.id, "还在滴水", community)
    await tickets.resolve(session, clock, closed, manager.id)
    await tickets.confirm(session, clock, closed, me.id, 4, "师傅很耐心")
    opened = await tickets.file_ticket(
        session,
        clock,
        community=community,
        reporter_person_id=me.id,
        kind=TicketKind.COMPLAINT,
        description="楼道灯坏了",
    )
    await tickets.file_ticket(
        session,
        clock,
        community=community,
        reporter_person_id=neighbour.id,
        kind=TicketKind.COMPLAINT,
        description="邻居的秘密投诉",
    )
    await session.commit()

    # Passes: my visitor comes in with the code, my worker pass is approved, I open the
    # gate remotely; the neighbour's visitor comes in too.
    visitor = await _visitor(session, me, my_unit, "张三", gate_id, "沪A12345")
    theirs = await _visitor(session, neighbour, their_unit, "王五", gate_id)
    requested = await request_worker_pass(
        session,
        now=START,
        host_person_id=me.id,
        host_unit_id=my_unit.id,
        worker_name="李师傅",
        worker_phone="+86 139 0000 1111",
        company="好家装修",
        category=WorkerCategory.RENOVATION,
        first_day=date(2026, 11, 25),
        last_day=date(2026, 11, 27),
        daily_start_min=8 * 60,
        daily_end_min=18 * 60,
        weekdays=ALL_WEEKDAYS,
        gate_ids=[],
    )
    worker = await approve_worker_pass(
        session,
        secret_key=TEST_SECRET,
        now=START,
        pass_id=requested.id,
        community_id=community.id,
        staff_person_id=manager.id,
    )
    await session.commit()
    east = await runtime.gates.get(gate_id)
    assert (await runtime.verify(east, Credential.code(visitor.code))).granted
    assert (await runtime.verify(east, Credential.qr(theirs.token))).granted
    assert (await runtime.open_gate(gate_id, me.id, Method.REMOTE)).granted

    # Fees: this month's bills; I pay mine in chat and get part of it back.
    await add_fee_item(session, community, name="物业费", kind=FeeKind.PER_M2, amount_minor=185)
    await generate_bills(session, community, Period(2026, 11), now=START, trigger="test")
    await session.commit()
    payment = await _pay(session, my_unit, me, "tg-mine-1")
    await refund_payment(
        session,
        community,
        payment_id=payment.id,
        amount_minor=500,
        reason="多收了",
        actor_person_id=manager.id,
        actor_telegram_id=900,
        now=START,
    )
    await session.commit()
    await _pay(session, their_unit, neighbour, "tg-theirs-1")
    return World(
        community, my_unit, me, neighbour, manager, gate_id, visitor, worker, theirs, closed, opened
    )


async def _export(session_factory, person_id: int) -> dict:
    async with session_factory() as s:  # a fresh session, as each update has
        return await personal_export(s, person_id)


async def test_export_has_tickets_passes_gate_records_and_payments(world, session_factory):
    export = await _export(session_factory, world.me.id)
    assert {"tickets", "access", "fees", "faces", "person"} <= set(export)

    closed, opened = export["tickets"]
    assert (closed["number"], closed["community"], closed["unit"]) == (
        world.closed_ticket.number,
        "阳光花园",
        "3栋-1201",
    )
    assert (closed["kind"], closed["category"], closed["status"]) == ("repair", "water", "closed")
    assert closed["description"] == "厨房水管漏水，家里老人行动不便"
    assert (closed["rating"], closed["rating_comment"], closed["reopened"]) == (4, "师傅很耐心", 1)
    assert closed["created_at"] == START.isoformat() and closed["closed_at"] is not None
    assert closed["attachments"] == [{"kind": "photo", "telegram_file_unique_id": "uniq-photo-1"}]
    events = [(e["event"], e["by"]) for e in closed["history"]]
    assert events == [
        ("filed", "me"),
        ("taken", "staff"),
        ("resolved", "staff"),
        ("reopened", "me"),
        ("resolved", "staff"),
        ("confirmed", "me"),
    ]
    assert closed["history"][3]["reason"] == "还在滴水"
    assert closed["history"][5]["rating"] == 4
    # One entry per relayed message, from my side of the chat; no card, no group copy.
    assert [(m["direction"], m["telegram_message_id"]) for m in closed["messages"]] == [
        ("from_me", 11),
        ("to_me", 12),
    ]
    assert (opened["description"], opened["status"], opened["unit"]) == ("楼道灯坏了", "new", None)

    access = export["access"]
    visitor, worker = access["passes"]
    assert visitor["kind"] == "visitor" and visitor["name"] == "张三"
    assert (visitor["purpose"], visitor["car_plate"], visitor["gates"]) == (
        "探亲",
        "沪A12345",
        ["东门"],
    )
    assert (visitor["uses"], visitor["max_uses"], visitor["status"]) == (1, 1, "active")
    assert visitor["valid_from"] == START.isoformat() and visitor["unit"] == "3栋-1201"
    assert (worker["kind"], worker["name"], worker["phone"], worker["company"]) == (
        "worker",
        "李师傅",
        "+8613900001111",
        "好家装修",
    )
    assert (worker["category"], worker["daily_from"], worker["daily_until"]) == (
        "renovation",
        "08:00",
        "18:00",
    )
    assert worker["all_gates"] and len(worker["weekdays"]) == 7 and worker["status"] == "active"
    log = access["access_log"]
    assert [(e["method"], e["as"], e["name"], e["granted"]) for e in log] == [
        ("remote", "me", "王小明", True),
        ("code", "my_pass", "张三", True),
    ]
    assert log[1]["gate"] == "东门" and log[1]["pass_kind"] == "visitor"
    assert (access["access_log_total"], access["access_log_omitted"]) == (2, 0)

    fees = export["fees"]
    [paid] = fees["payments"]
    assert (paid["method"], paid["currency"], paid["unit"]) == ("telegram", "CNY", "3栋-1201")
    assert paid["telegram_payment_charge_id"] == "tg-mine-1"
    assert paid["provider_payment_charge_id"] == "prov-tg-mine-1"
    assert paid["received_at"] == START.isoformat()
    [settled] = paid["settled_bills"]
    assert settled["bill_period"] == "2026-11" and settled["amount_minor"] == paid["amount_minor"]
    [refund] = paid["refunds"]
    assert (refund["amount_minor"], refund["reason"], refund["bill_period"]) == (
        500,
        "多收了",
        "2026-11",
    )
    [invoice] = fees["invoices"]
    assert invoice["paid"] and invoice["bill_periods"] == ["2026-11"]
    assert invoice["amount_minor"] == paid["amount_minor"]
    [receipt] = fees["sent_to_me"]
    assert receipt["kind"] == "receipt" and receipt["status"] == "pending"
    assert receipt["payment"]["amount_minor"] == paid["amount_minor"]


async def test_export_holds_no_pass_credential_and_nothing_of_others(
    world, session, session_factory
):
    text = json.dumps(await _export(session_factory, world.me.id), ensure_ascii=False)
    secrets = []
    for issued in (world.visitor, world.worker):
        secrets += [issued.code, issued.token, issued.share_key]
    stored = (
        await session.execute(
            select(Pass.code_hash, Pass.token_hash, Pass.share_hash, Pass.share_blob).where(
                Pass.host_person_id == world.me.id
            )
        )
    ).all()
    for code_hash, token_hash, share_hash, blob in stored:
        secrets += [code_hash, token_hash, share_hash, blob.hex()[:24]]
    assert len(secrets) == 14 and all(secrets)
    for secret in secrets:
        assert secret not in text
    for key in ("code_hash", "token_hash", "share_hash", "share_blob", "FILE-ID-NOT-EXPORTED"):
        assert key not in text
    # The neighbour's ticket, visitor and payment; staff's names.
    for other in (
        "邻居的秘密投诉",
        "王五",
        "赵六",
        "tg-theirs-1",
        "李经理",
        world.neighbours_visitor.code,
    ):
        assert other not in text
    # And the neighbour's export has theirs, not mine.
    theirs = json.dumps(await _export(session_factory, world.neighbour.id), ensure_ascii=False)
    assert "王五" in theirs and "tg-theirs-1" in theirs and "邻居的秘密投诉" in theirs
    for mine in ("张三", "李师傅", "tg-mine-1", "厨房水管漏水", "王小明"):
        assert mine not in theirs


async def test_access_log_in_the_export_is_capped_newest_first(world, session, runtime, clock):
    east = await runtime.gates.get(world.gate_id)
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        await runtime.verify(east, Credential.code(world.worker.code))
    data = await personal_access_data(session, world.me.id, log_limit=2)
    assert (data["access_log_total"], data["access_log_omitted"]) == (5, 3)
    assert [e["at"] for e in data["access_log"]] == [
        (START + timedelta(minutes=3)).isoformat(),
        (START + timedelta(minutes=2)).isoformat(),
    ]
    assert all(e["name"] == "李师傅" and e["pass_kind"] == "worker" for e in data["access_log"])


async def test_erasure_blanks_what_was_typed_and_keeps_ledger_and_log(
    world, session, session_factory, clock
):
    log_before = await session.scalar(select(func.count()).select_from(AccessLogEntry))
    await erase_personal_data(session, world.me.id, clock=clock)
    await session.commit()
    async with session_factory() as s:
        closed = await s.get(Ticket, world.closed_ticket.id)
        assert (closed.description, closed.location_text, closed.media) == ("", "", [])
        assert (closed.rating_comment, closed.rating, closed.status.value) == ("", 4, "closed")
        # Staff still owe work on the open one: its text stays.
        assert (await s.get(Ticket, world.open_ticket.id)).description == "楼道灯坏了"
        passes = (await s.scalars(select(Pass).where(Pass.host_person_id == world.me.id))).all()
        assert len(passes) == 2
        for p in passes:
            assert (p.holder_name, p.holder_phone, p.company, p.purpose, p.car_plate) == (
                "",
                None,
                "",
                "",
                None,
            )
            assert p.status == PassStatus.REVOKED
        # The neighbour's pass is untouched.
        theirs = await s.scalar(select(Pass).where(Pass.host_person_id == world.neighbour.id))
        assert theirs.holder_name == "王五" and theirs.status == PassStatus.ACTIVE
        # The ledger and the access log are kept as they were.
        assert (
            await s.scalar(
                select(func.count())
                .select_from(Payment)
                .where(Payment.payer_person_id == world.me.id)
            )
            == 1
        )
        assert await s.scalar(select(func.count()).select_from(Bill)) == 2
        assert await s.scalar(select(func.count()).select_from(AccessLogEntry)) == log_before
    export = await _export(session_factory, world.me.id)
    assert "厨房水管漏水" not in json.dumps(export["tickets"], ensure_ascii=False)
    assert export["tickets"][0]["messages"] == []  # the links to my chat are gone
    assert [p["name"] for p in export["access"]["passes"]] == ["", ""]
    # What stays is still theirs to see: the gate decisions, names as recorded then.
    assert [e["name"] for e in export["access"]["access_log"]] == ["王小明", "张三"]
    assert export["fees"]["payments"][0]["telegram_payment_charge_id"] == "tg-mine-1"
