"""A walk-in end to end: the terminal registers a visitor over the gate API, the
resident gets the photo with the buttons in the chat and lets them in, the door is
released, the terminal reads "let in" and the access log names the resident."""

from __future__ import annotations

from sqlalchemy import select

from access.models import AccessLogEntry
from tests.walkins.conftest import gate_api, jpeg_b64, press_data


async def test_a_walk_in_is_let_in_from_the_chat(world, session):
    w = world
    status, call = await gate_api(
        w,
        "East Gate",
        "POST",
        "walkins",
        {
            "unit": "3-1201",
            "name": "Zhang San",
            "purpose": "delivering flowers",
            "photo": jpeg_b64(),
            "terminal": "east-1",
        },
    )
    assert status == 201 and call["status"] == "ringing" and call["unit"] == "3栋-1201"
    assert 0 < call["expires_in_s"] <= 60
    ring = await w.resident.expect("Zhang San")
    assert ring.get("photo"), "the gate camera's photo comes with the question"
    assert "East Gate" in ring["caption"] and "delivering flowers" in ring["caption"]
    status, polled = await gate_api(w, "East Gate", "GET", f"calls/{call['call_id']}")
    assert status == 200 and polled["status"] == "ringing"

    await w.resident.press(ring, "✅ Let in once")
    done = await w.resident.expect("let them in")
    assert "Wang Xiaoming" in done["text"]
    # The ringing message itself now says who decided, and its buttons are gone.
    closed = await w.resident.expect_edit(ring, text_contains="Wang Xiaoming let them in")
    assert "Zhang San" in closed["caption"] and not closed.get("reply_markup")

    status, polled = await gate_api(w, "East Gate", "GET", f"calls/{call['call_id']}")
    assert status == 200
    assert polled["status"] == "let_in" and polled["decided_by"] == "resident"
    assert polled["door"] == "released"
    door = w.app.ctx.gate.doors.existing(w.gate_ids["East Gate"])
    assert door is not None and door.releases == 1
    row = await session.scalar(
        select(AccessLogEntry).where(AccessLogEntry.id == polled["decision_id"])
    )
    assert row.granted and row.method == "walkin" and row.reason == "let_in"
    assert row.person_id == w.host.id and row.holder_name == "Zhang San"
    assert row.terminal == "east-1"

    # The same button again: the call is decided, and says by whom.
    answer = await press_data(w.resident, ring, f"wk:no:{call['call_id']}")
    assert answer is not None and "Wang Xiaoming let them in" in answer["text"]
