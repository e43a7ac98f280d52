"""End to end at a paused keypad and with forged pass buttons (issue 21): the host
lets their visitor in from the chat; garbled button data is answered as stale."""

from __future__ import annotations

from sqlalchemy import select

from access.models import AccessLogEntry
from tests.access.test_e2e import invite, terminal
from tests.access.test_e2e import world as world  # the fixture, shared


async def test_a_visitor_at_a_locked_keypad_is_let_in_by_the_host(world, emulator, session):
    """A vandal locks the keypad; the visitor's right code rings the host, who opens
    from the chat. The terminal's answer is the same as for any code."""
    w = world
    code, _payload, _qr = await invite(w.resident)
    for _ in range(5):
        await terminal(w, "East Gate", {"code": "00000001"})
    status, body = await terminal(w, "East Gate", {"code": code})
    assert status == 429 and body["reason"] == "locked_out" and body["holder"] is None
    ring = await w.resident.expect("the keypad there is paused")
    assert "Zhang San" in ring["text"] and "East Gate" in ring["text"]
    await w.resident.press(ring, "🚪 Open East Gate")
    confirm = await w.resident.expect("Open East Gate now?")
    await w.resident.press(confirm, "🔓 Open now")
    await w.resident.expect("East Gate is open")
    row = await session.scalar(
        select(AccessLogEntry)
        .where(AccessLogEntry.method == "remote")
        .order_by(AccessLogEntry.id.desc())
    )
    assert row.granted and row.person_id == w.host.id


async def test_forged_pass_buttons_are_answered_as_stale(world, emulator):
    """``ps:revoke:notanumber`` once raised ValueError (the apology naming /cancel);
    garbled ids now match no handler and get the stale-button answer."""
    w = world
    await w.resident.send("/opengate")
    pick = await w.resident.expect("Which gate should I open?")
    actions = w.resident._actions
    chat = actions.core.chat(w.resident.id)
    msg = actions._message(chat, pick["message_id"])
    for data in ("ps:revoke:notanumber", "ps:open_pick:1e9", "ps:revoke_yes:", "ps:unit:-3"):
        answer = await actions._callback(chat, w.resident.id, msg, data, True, 5.0)
        assert answer is not None and answer.get("text") == "This button is no longer active."
    await w.resident.expect_nothing(within=0.5, text_contains="went wrong")
