"""End to end: a resident shows their own gate QR in the chat and it opens the gate;
showing it again replaces it; moving out ends it; a forged community button is
refused (decision 0025)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from access.models import AccessLogEntry
from access.passes import personal_access_data
from access.sync.admin import create_agent
from core.clock import SystemClock
from core.models import AuditEntry, Residency
from core.residents.residencies import end_residency
from tests.access.test_e2e import qr_payload, terminal
from tests.access.test_e2e import world as world  # the fixture, shared
from tests.conftest import TEST_SECRET


async def _show(w, emulator, note: str = "") -> str:
    await w.resident.send("/gateqr")
    intro = await w.resident.expect("Your own gate QR opens")
    assert "previous one stops working" in intro["text"]
    await w.resident.press(intro, "🔑 Show my gate QR · Sunny Garden")
    photo = await w.resident.expect("Your gate QR for Sunny Garden", photo=True)
    assert note in photo["caption"] and ("learn of it" in photo["caption"]) == bool(note)
    return qr_payload(emulator, photo)


async def test_a_resident_opens_with_their_own_gate_qr(world, emulator, session):
    w = world
    host_id = w.host.id
    first = await _show(w, emulator)
    status, body = await terminal(w, "East Gate", {"qr": first})
    assert status == 200 and body["granted"] and body["reason"] == "ok"
    row = await session.scalar(select(AccessLogEntry).where(AccessLogEntry.method == "qr"))
    assert row.person_id == host_id and row.pass_id is None

    # With an offline gate agent in the community, the resident is told its delay.
    await create_agent(
        session,
        secret_key=TEST_SECRET,
        community_id=w.community.id,
        name="guard house",
        gate_ids=list(w.gate_ids.values()),
    )
    await session.commit()
    second = await _show(w, emulator, note="learn of it within 5 seconds")
    assert second != first
    _status, body = await terminal(w, "East Gate", {"qr": first})
    assert (body["granted"], body["reason"]) == (False, "revoked")
    _status, body = await terminal(w, "North Gate", {"qr": second})
    assert body["granted"]

    # A button naming another community is refused and audited.
    await w.resident.send("/gateqr")
    intro = await w.resident.expect("Your own gate QR opens")
    actions = w.resident._actions
    chat = actions.core.chat(w.resident.id)
    msg = actions._message(chat, intro["message_id"])
    answer = await actions._callback(chat, w.resident.id, msg, "ps:myqr:999", True, 5.0)
    assert answer is not None and "do not live in that community" in answer.get("text", "")
    audited = None
    for _ in range(40):  # the handler commits right after answering
        await session.rollback()  # a fresh snapshot
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "access.resident_qr")
        )
        if audited is not None:
            break
        await asyncio.sleep(0.05)
    assert audited is not None and audited.target_id == "999"

    # The /privacy export says when each QR was shown and revoked, never the QR.
    exported = (await personal_access_data(session, host_id))["gate_qr"]
    assert [(e["community"], e["revoked_at"] is None) for e in exported] == [
        ("Sunny Garden", False),
        ("Sunny Garden", True),
    ]
    assert second not in str(exported)

    residency = await session.scalar(select(Residency).where(Residency.person_id == host_id))
    await end_residency(session, residency.id, clock=SystemClock(), reason="moved_out")
    await session.commit()
    _status, body = await terminal(w, "East Gate", {"qr": second})
    assert (body["granted"], body["reason"]) == (False, "revoked")
