"""Shift hand-over end to end: the rota, the end-of-shift request, the four answers,
the card acknowledged by the next shift, the alert when nobody does, the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FrozenClock
from handlers.shifts.jobs import ack_alert_job, ask_job
from tests.harness import idle, start_bot
from tests.patrols.conftest import GUARD_ID, MANAGER_ID, RESIDENT_ID, jpeg, world  # noqa: F401

# 2026-12-03 07:00 in Shanghai.
T0 = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)


async def _write_handover(guard, notes: list[str]) -> None:
    await guard.send("/handover")
    await guard.expect("1/4 Open matters")
    await guard.send(notes[0])
    await guard.expect("2/4 Keys")
    await guard.send_photo(jpeg())  # not text: asked again
    await guard.expect("Please answer in text")
    await guard.send(notes[1])
    await guard.expect("3/4 Incidents")
    await guard.send(notes[2])
    await guard.expect("4/4 Patrol notes")
    await guard.send(notes[3])


async def test_a_night_shift_handed_over(settings, emulator, world):  # noqa: F811
    clock = FrozenClock(T0)
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/shift_add Zhao Guard | 2026-12-02 | 20:00-08:00")
        added = await group.expect("Shift for Zhao Guard")
        assert "At its end I ask for the hand-over" in added["text"]
        await group.send(MANAGER_ID, "/shift_add Nobody | 2026-12-02 | 20:00-08:00")
        await group.expect("No active staff member here is")
        await group.send(MANAGER_ID, "/shift_add Zhao Guard | tomorrow | 20:00-08:00")
        await group.expect("Usage: /shift_add")
        await idle(app)

        assert await ask_job(app.ctx) == 0  # the shift ends at 08:00
        clock.set(T0 + timedelta(hours=1, minutes=1))
        assert await ask_job(app.ctx) == 1
        guard = emulator.user(GUARD_ID)
        await guard.expect("Your shift has ended")
        assert await ask_job(app.ctx) == 0

        await _write_handover(guard, ["Leak in B1 reported", "-", "None", "All rounds done"])
        await guard.expect("Hand-over posted")
        card = await group.expect("Hand-over from Zhao Guard")
        assert "Open matters: Leak in B1 reported" in card["text"]
        assert "Keys: none" in card["text"]

        answer = await group.press(card, "🤝 Acknowledge", from_user=GUARD_ID)
        assert "not its author" in (answer or {}).get("text", "")
        await group.press(card, "🤝 Acknowledge", from_user=MANAGER_ID)
        edited = await group.expect_edit(card)
        assert "Acknowledged by Li Manager" in edited["text"]
        await idle(app)
        clock.advance(timedelta(hours=1))
        assert await ack_alert_job(app.ctx) == 0  # acknowledged: no alert

        await group.send(GUARD_ID, "/handovers 2026-12-03")
        log = await group.expect("Hand-over from Zhao Guard")
        assert "Acknowledged by Li Manager" in log["text"]


async def test_unacknowledged_hand_over_alerts_managers_once(settings, emulator, world):  # noqa: F811
    clock = FrozenClock(T0)
    async with start_bot(settings, emulator, clock=clock) as app:
        resident = emulator.user(RESIDENT_ID)
        await resident.send("/handover")
        await resident.expect("Only staff write shift hand-overs")
        guard = emulator.user(GUARD_ID)
        await _write_handover(guard, ["Gate 2 sticks", "Key 14 lent to Li", "-", "-"])
        await guard.expect("Hand-over posted")
        await world.group.expect("Hand-over from Zhao Guard")
        await idle(app)
        clock.advance(timedelta(minutes=29))
        assert await ack_alert_job(app.ctx) == 0
        clock.advance(timedelta(minutes=2))
        assert await ack_alert_job(app.ctx) == 1
        manager = emulator.user(MANAGER_ID)
        await manager.expect("has not been acknowledged for 30 minutes")
        assert await ack_alert_job(app.ctx) == 0


async def test_a_manager_the_bot_cannot_reach_is_named_in_the_group(settings, emulator, world):  # noqa: F811
    clock = FrozenClock(T0)
    async with start_bot(settings, emulator, clock=clock) as app:
        guard = emulator.user(GUARD_ID)
        await _write_handover(guard, ["-", "-", "-", "-"])
        await guard.expect("Hand-over posted")
        await world.group.expect("Hand-over from Zhao Guard")
        await idle(app)
        emulator.user(MANAGER_ID).block_bot()
        clock.advance(timedelta(minutes=31))
        assert await ack_alert_job(app.ctx) == 1
        named = await world.group.expect("Managers the bot could not reach: Li Manager")
        assert "has not been acknowledged" in named["text"]
