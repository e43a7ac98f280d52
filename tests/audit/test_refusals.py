"""Refused forged presses leave an audit row (issue 21 item 15): A's staff pressing
buttons with B's ids in A's group, and a resident pressing buttons with someone
else's pass, gate, ticket or home. Nothing changes; each attempt is a row with
``allowed=False`` naming the target."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from access.gates import create_gate
from access.passes import issue_visitor_pass
from core.clock import SystemClock
from core.db import utcnow
from core.models import AuditEntry, StaffRole
from core.tickets import service as tickets
from core.tickets.models import RepairCategory, TicketKind
from handlers.admin.staff import StaffCb
from handlers.faces.views import FaceCb
from handlers.fees.bills import PayCb
from handlers.gate.keyboards import GateAlertCb, PassCb, StaffOpenCb, WorkerDecisionCb
from handlers.movein.callbacks import EndCb, FamCb, HandoverCb
from handlers.profile.views import PrCb
from handlers.tickets.callbacks import MyTicket
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit

CHAT_A, CHAT_B = -1007000000001, -1007000000002
MANAGER_A, MANAGER_B, RESIDENT_A, RESIDENT_B = 7101, 7102, 7103, 7104


async def _rows(session_factory, count: int) -> list[AuditEntry]:
    for _ in range(100):
        async with session_factory() as s:
            rows = list(
                (await s.scalars(select(AuditEntry).where(AuditEntry.allowed.is_(False)))).all()
            )
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    return rows


async def test_forged_ids_are_refused_and_audited(running_bot, emulator, session_factory):
    async with session_factory() as s:
        a = await make_community(s, "Garden A", admin_chat_id=CHAT_A, is_forum=False, locale="en")
        b = await make_community(s, "Garden B", admin_chat_id=CHAT_B, is_forum=False, locale="en")
        unit_a = await make_unit(s, a, "A1", "101")
        unit_b = await make_unit(s, b, "B1", "101")
        await make_staff(s, a, MANAGER_A, "Manager A", StaffRole.MANAGER, locale="en")
        _, staff_b = await make_staff(s, b, MANAGER_B, "Manager B", StaffRole.MANAGER, locale="en")
        await make_resident(s, unit_a, RESIDENT_A, "Resident A", locale="en")
        person_b, residency_b = await make_resident(
            s, unit_b, RESIDENT_B, "Resident B", locale="en"
        )
        gate_b = (
            await create_gate(s, secret_key=TEST_SECRET, community_id=b.id, name="B Gate")
        ).gate
        now = utcnow()
        pass_b = await issue_visitor_pass(
            s,
            secret_key=TEST_SECRET,
            now=now,
            host_person_id=person_b.id,
            host_unit_id=unit_b.id,
            holder_name="Guest of B",
            purpose="visit",
            valid_from=now,
            valid_until=now + timedelta(hours=2),
            multi_entry=False,
            gate_ids=[],
        )
        ticket_b = await tickets.file_ticket(
            s,
            SystemClock(),
            community=b,
            reporter_person_id=person_b.id,
            kind=TicketKind.REPAIR,
            category=RepairCategory.WATER,
            description="Tap drips",
            unit_id=unit_b.id,
        )
        await s.commit()
    pass_id = pass_b.pass_id
    ticket_id = ticket_b.id

    resident = emulator.user(RESIDENT_A, "Res A", language_code="en")
    await resident.send("/start")
    home = await resident.expect("What can I do for you?")
    group = emulator.group(CHAT_A, "Garden A office")
    group.add_member(MANAGER_A, "Manager A", "administrator", language_code="en")
    await group.send(MANAGER_A, "/staff")
    staff_msg = await group.expect("Manager A")

    as_resident = {
        PassCb(action="revoke", value=str(pass_id)).pack(): ("passes.revoke", "pass"),
        PassCb(action="open_pick", value=str(gate_b.id)).pack(): ("access.open", "gate"),
        MyTicket(action="open", ticket_id=ticket_id).pack(): ("tickets.own", "ticket"),
        FamCb(action="rm", id=residency_b.id).pack(): ("residency.family_remove", "residency"),
        PrCb(action="outy", id=residency_b.id).pack(): ("home.use", "residency"),
        PayCb(unit_id=unit_b.id, bill_id=0).pack(): ("home.use", "unit"),
        FaceCb(action="home", community=b.id).pack(): ("home.use", "community"),
    }
    as_staff = {
        HandoverCb(residency_id=residency_b.id, item="keys", direction="out").pack(): (
            "movein.handover",
            "residency",
        ),
        EndCb(residency_id=residency_b.id).pack(): ("residency.end", "residency"),
        StaffCb(action="open", staff_id=staff_b.id).pack(): ("staff.manage", "staff"),
        StaffOpenCb(gate_id=gate_b.id).pack(): ("access.staff_open", "gate"),
        GateAlertCb(action="clear", gate_id=gate_b.id).pack(): ("access.clear_lockout", "gate"),
        WorkerDecisionCb(action="approve", pass_id=pass_id).pack(): (
            "passes.worker_approve",
            "pass",
        ),
    }
    actions = emulator.actions
    for chat_id, user_id, msg, forged in (
        (RESIDENT_A, RESIDENT_A, home, as_resident),
        (CHAT_A, MANAGER_A, staff_msg, as_staff),
    ):
        chat = actions.core.chat(chat_id)
        for data in forged:
            answer = await actions._callback(
                chat, user_id, actions._message(chat, msg["message_id"]), data, True, 5.0
            )
            assert answer is not None and answer.get("show_alert"), (data, answer)

    rows = await _rows(session_factory, len(as_resident) + len(as_staff))
    seen = {(r.action, r.target_type) for r in rows}
    assert set(as_resident.values()) | set(as_staff.values()) <= seen, seen
    staff_rows = [r for r in rows if r.target_type in {"residency", "staff", "gate", "pass"}]
    assert all(r.details.get("reason") == "not_yours" for r in staff_rows)
    assert {r.community_id for r in rows if r.action.startswith("access.staff")} == {a.id}
