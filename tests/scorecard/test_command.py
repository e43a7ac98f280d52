"""``/scorecard`` in the admin group: managers see the month's figures."""

from __future__ import annotations

from tests.patrols.conftest import GUARD_ID, MANAGER_ID, world  # noqa: F401


async def test_managers_see_the_scorecard(running_bot, emulator, world):  # noqa: F811
    group = world.group
    await group.send(MANAGER_ID, "/firelane_add East lane | Gym")
    await group.expect("Fire lane #1")
    await group.send(MANAGER_ID, "/equipment_add Gate light | street_light | Gate")
    await group.expect("Added")
    await group.send(MANAGER_ID, "/lights done")
    await group.expect("The light round is closed")
    await group.send(GUARD_ID, "/scorecard")
    await group.expect("Only manager")
    await group.send(MANAGER_ID, "/scorecard 2026-13")
    await group.expect("Usage: /scorecard")
    await group.send(MANAGER_ID, "/scorecard")
    card = await group.expect("The office's scorecard")
    text = card["text"]
    assert "Patrol rounds completed: — (0 of 0)" in text
    assert "Fire-lane checks: 0 of 2 required" in text
    assert "Lights working: 100% of 1 checked (target 98%)" in text
    assert "Urgent repairs on site within 10 minutes: — (0 of 0)" in text
    assert "Urgent repairs done within 4 hours: — (0 of 0)" in text
