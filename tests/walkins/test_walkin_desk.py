"""A guard registers someone at the booth with /walkin (with the visitor's photo); the
household lets them in and the guard reads the answer in the admin group. Someone who
is not gate staff is refused, and the refusal is audited."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from access.models import AccessLogEntry
from core.models import AuditEntry
from tests.access.gate_world import GUARD_ID, STRANGER_ID


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_a_guard_rings_a_home_for_someone_at_the_booth(world, session):
    w = world
    host_id = w.host.id
    await w.group.send(GUARD_ID, "/walkin 3-1201")
    await w.group.expect("/walkin 3-1201 Zhang San / delivering flowers")
    await w.group.send_photo(GUARD_ID, _jpeg(), caption="/walkin 3-1201 Zhao Liu / plumber")
    pick = await w.group.expect("At which gate is the visitor?")
    await w.group.press(pick, "🚪 North Gate", from_user=GUARD_ID)
    await w.group.expect("Ringing 3栋-1201 for Zhao Liu at North Gate")
    ring = await w.resident.expect("Zhao Liu")
    assert ring.get("photo") and "plumber" in ring["caption"]
    await w.resident.press(ring, "✅ Let in once")
    told = await w.group.expect("let them in")
    assert "Wang Xiaoming" in told["text"] and "Zhao Liu" in told["text"]
    door = w.app.ctx.gate.doors.existing(w.gate_ids["North Gate"])
    assert door is not None and door.releases == 1
    await session.rollback()
    row = await session.scalar(select(AccessLogEntry).where(AccessLogEntry.method == "walkin"))
    assert row.granted and row.person_id == host_id and row.holder_name == "Zhao Liu"

    # The gate log names the visitor, the home and the resident who answered.
    await w.group.send(GUARD_ID, "/log")
    log = await w.group.expect("Gate log")
    assert "walk-in · Zhao Liu · 3栋-1201 · let in by a resident · Wang Xiaoming" in log["text"]

    await w.group.send(STRANGER_ID, "/walkin 3-1201 Mallory")
    await w.resident.expect_nothing(within=0.5, text_contains="Mallory")
    refused = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "access.walkin", AuditEntry.allowed.is_(False)
        )
    )
    assert refused is not None
