"""Maintenance end to end: the ledger and a plan set up in the admin group, the due
task posted with its checklist, done with notes and a photo; an overdue task warned
in the group, then escalated to the manager, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.clock import FrozenClock
from core.equipment.models import MaintenanceTask, TaskStatus
from handlers.equipment.jobs import overdue_job, tasks_job
from tests.harness import idle, start_bot
from tests.patrols.conftest import GUARD_ID, MANAGER_ID, jpeg, world  # noqa: F401

# Tuesday 2026-12-01, 09:00 in Shanghai.
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def test_a_monthly_plan_from_task_to_done(settings, emulator, world, session):  # noqa: F811
    clock = FrozenClock(T0)
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/equipment")
        await group.expect("The ledger is empty")
        await group.send(MANAGER_ID, "/equipment_add Elevator 3-1 | Elevator | Building 3, east")
        await group.expect("Added to the ledger: #1 Elevator 3-1 (elevator)")
        await group.send(MANAGER_ID, "/equipment_add Elevator 5-1 | elevator | Building 5")
        await group.expect("#2 Elevator 5-1")
        await group.send(MANAGER_ID, "/equipment_add Pump | pump")
        await group.expect("Usage: /equipment_add")
        await group.send(GUARD_ID, "/equipment_add Pump | pump | Basement")
        await group.expect("Only manager")
        await group.send(MANAGER_ID, "/plan_add elevator | fortnightly | Brakes")
        await group.expect("is not a frequency")
        await group.send(MANAGER_ID, "/plan_add boiler | monthly | Burner")
        await group.expect("No item in use is of kind")
        await group.send(
            MANAGER_ID, "/plan_add elevator | monthly | Check the brakes; Clean the pit"
        )
        await group.expect("Plan #1: monthly, 2 item(s), 2 checklist step(s)")
        await group.send(MANAGER_ID, "/equipment_retire two")
        await group.expect("Usage: /equipment_retire <number")
        await group.send(MANAGER_ID, "/equipment_retire 2")
        await group.expect("Retired: #2 Elevator 5-1")
        await group.send(MANAGER_ID, "/equipment")
        listing = await group.expect("Equipment in use: 1")
        assert "Elevator 5-1" not in listing["text"]
        await idle(app)

        assert await tasks_job(app.ctx) == 1  # the retired elevator gets none
        card = await group.expect("Maintenance: #1 Elevator 3-1")
        assert "Due by Dec 31, 2026" in card["text"]
        assert "☐ Check the brakes" in card["text"] and "☐ Clean the pit" in card["text"]
        assert await tasks_job(app.ctx) == 0  # made once, posted once

        group.add_member(999, "Passer-by")
        answer = await group.press(card, "✅ Done", from_user=999)
        assert "Only" in (answer or {}).get("text", "")
        await group.press(card, "✅ Done", from_user=GUARD_ID)
        await group.expect("send the notes for this task")
        await group.send(GUARD_ID, "/equipment")  # a command still works meanwhile
        await group.expect("Equipment in use: 1")
        await group.send_photo(GUARD_ID, jpeg(), "Brakes fine, pit cleaned")
        await group.expect("Task recorded as done")
        edited = await group.expect_edit(card)
        assert "Done by Zhao Guard" in edited["text"]
        assert "Notes: Brakes fine, pit cleaned" in edited["text"] and "Photo" in edited["text"]

        await idle(app)
        task = await session.scalar(select(MaintenanceTask))
        assert task is not None and task.status == TaskStatus.DONE
        assert task.period == "2026-12" and task.photo_file_id
        assert task.done_by_person_id == world.guard.id

        # Done is done: the button is gone and nothing is overdue.
        assert not (edited.get("reply_markup") or {}).get("inline_keyboard")
        clock.advance(timedelta(days=40))
        assert await overdue_job(app.ctx) == 0


async def test_overdue_task_warns_then_escalates_once(settings, emulator, world, session):  # noqa: F811
    clock = FrozenClock(T0)
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/equipment_add Pump | pump | Basement")
        await group.expect("Added")
        await group.send(MANAGER_ID, "/plan_add 1 | weekly | Check the pressure")
        await group.expect("Plan #1: weekly, 1 item(s)")
        await idle(app)
        assert await tasks_job(app.ctx) == 1
        await group.expect("Maintenance: #1 Pump")
        # Due Sunday 6 December; Monday the 7th it is overdue.
        clock.set(datetime(2026, 12, 6, 15, 0, tzinfo=UTC))  # Sunday 23:00 local
        assert await overdue_job(app.ctx) == 0
        clock.set(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
        assert await overdue_job(app.ctx) == 1
        await group.expect("Maintenance overdue since Dec 6, 2026: #1 Pump")
        assert await overdue_job(app.ctx) == 0
        clock.set(datetime(2026, 12, 9, 1, 0, tzinfo=UTC))
        assert await overdue_job(app.ctx) == 1
        manager = emulator.user(MANAGER_ID)
        escalated = await manager.expect("Maintenance still not done in Sunny Garden")
        assert "Pump" in escalated["text"]
        assert await overdue_job(app.ctx) == 0
        # The new week brings the next task.
        assert await tasks_job(app.ctx) == 1
        await group.expect("Maintenance: #1 Pump")
