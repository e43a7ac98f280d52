"""``/liveness`` in the admin group: a manager turns a gate's live-person check off
only after the risk is shown and accepted; other staff and residents cannot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from access.faces.models import FaceGateLiveness
from core.models import AuditEntry
from tests.faces_chat.test_e2e import GROUP_ID, MANAGER_ID, NEIGHBOUR_ID, world  # noqa: F401
from tests.harness import idle

pytestmark = pytest.mark.faces


async def mode(w, session, gate_id: int) -> tuple[str, str]:
    await idle(w.app)  # the step commits as the handler returns
    session.expire_all()
    row = await session.get(FaceGateLiveness, gate_id)
    return row.mode, row.chosen_by


async def test_manager_chooses_and_off_needs_the_risk_accepted(
    world,  # noqa: F811
    session,
    emulator,
):
    group = emulator.group(GROUP_ID)
    await group.send(MANAGER_ID, "/liveness")
    shown = await group.expect("Live-person check at the gates of Sunny Garden")
    assert "East Gate: ⚠️ off — a printed photo" in shown["text"]  # as the fixture set it

    await group.press(shown, "🔒 East Gate: blink / turn test", from_user=MANAGER_ID)
    edited = await group.expect_edit(shown)
    assert "East Gate: blink / turn test" in edited["text"]
    assert await mode(world, session, world.gate_id) == ("challenge", "Li Manager")

    await group.press(edited, "⚠️ East Gate: off", from_user=MANAGER_ID)
    risk = await group.expect_edit(shown, where=lambda m: "Without the live-person" in m["text"])
    assert "printed photo or a phone screen" in risk["text"]
    await group.press(risk, "Keep the test", from_user=MANAGER_ID)
    await group.expect_edit(shown, where=lambda m: "Live-person check" in m["text"])
    assert (await mode(world, session, world.gate_id))[0] == "challenge"

    await group.press(risk, "⚠️ East Gate: off", from_user=MANAGER_ID)
    risk = await group.expect_edit(shown, where=lambda m: "Without the live-person" in m["text"])
    await group.press(risk, "⚠️ I accept the risk: turn it off", from_user=MANAGER_ID)
    await group.expect_edit(shown, where=lambda m: "East Gate: ⚠️ off" in m["text"])
    assert await mode(world, session, world.gate_id) == ("off", "Li Manager")
    audit = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "faces.liveness"))
    ).all()
    assert audit[-1].details["mode"] == "off" and audit[-1].actor_person_id is not None

    # Not a manager: refused.
    await group.send(NEIGHBOUR_ID, "/liveness")
    await group.expect("Only manager can do this")
