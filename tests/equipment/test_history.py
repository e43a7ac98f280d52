"""An item's history: a repair ticket linked from the admin group, and its tasks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.clock import FrozenClock
from core.models import Person, Unit
from core.tickets import service
from core.tickets.models import RepairCategory, TicketKind
from handlers.equipment.jobs import tasks_job
from tests.harness import idle, start_bot
from tests.patrols.conftest import GUARD_ID, MANAGER_ID, RESIDENT_ID, world  # noqa: F401

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def test_linked_repairs_and_tasks_make_the_history(settings, emulator, world, session):  # noqa: F811
    clock = FrozenClock(T0)
    resident = await session.scalar(select(Person).where(Person.telegram_id == RESIDENT_ID))
    unit = await session.scalar(select(Unit))
    assert resident is not None and unit is not None
    await service.file_ticket(
        session,
        clock,
        community=world.community,
        reporter_person_id=resident.id,
        kind=TicketKind.REPAIR,
        category=RepairCategory.ELEVATOR,
        description="The elevator door closes too fast",
        unit_id=unit.id,
    )
    await session.commit()
    group = world.group
    async with start_bot(settings, emulator, clock=clock) as app:
        await group.send(MANAGER_ID, "/equipment_add Elevator 3-1 | elevator | Building 3")
        await group.expect("Added")
        await group.send(MANAGER_ID, "/plan_add 1 | monthly | Check the doors")
        await group.expect("Plan #1")
        await idle(app)
        assert await tasks_job(app.ctx) >= 0
        await group.send(GUARD_ID, "/item_ticket 1")
        await group.expect("Usage: /item_ticket")
        await group.send(GUARD_ID, "/item_ticket 7 1")
        await group.expect("There is no ticket #7 here")
        await group.send(GUARD_ID, "/item_ticket 1 9")
        await group.expect("There is no item #9 here")
        await group.send(GUARD_ID, "/item_ticket 1 1")
        await group.expect("Ticket #1 is now in the history of #1 Elevator 3-1")
        await group.send(GUARD_ID, "/equipment_history 1")
        history = await group.expect("📒 #1 Elevator 3-1")
        text = history["text"]
        assert "2026-12: open, due Dec 31, 2026" in text
        assert "#1 · Dec 1, 2026 · New · The elevator door closes too fast" in text
