"""A normal ticket nobody takes (issue 21, item 12): after 4 working hours the office
is alerted in the ticket's topic and the resident is told; not before, not twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.clock import FrozenClock
from core.tickets import service
from core.tickets.models import RepairCategory, TicketKind, Urgency
from core.tickets.working_hours import add_working_time
from handlers.tickets.deadline_jobs import run_deadline_checks
from handlers.tickets.jobs import run_publisher
from tests.harness import start_bot

# 16:00 in Shanghai: two working hours left today, two more from 09:00 tomorrow.
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_working_time_skips_the_night() -> None:
    due = add_working_time(T0, timedelta(hours=4), "Asia/Shanghai")
    assert due == datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 11:00 the next day
    night = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 02:00 local
    assert add_working_time(night, timedelta(hours=4), "Asia/Shanghai").date() == date(2026, 11, 26)


async def test_an_untaken_normal_ticket_alerts_the_office_and_tells_the_resident(
    settings, emulator, world, session
):
    clock = FrozenClock(T0)
    group, resident = world.group, world.resident_chat
    await service.file_ticket(
        session,
        clock,
        community=world.community,
        reporter_person_id=world.resident.id,
        kind=TicketKind.REPAIR,
        category=RepairCategory.WATER,
        description="The bathroom tap drips all day",
        urgency=Urgency.NORMAL,
        unit_id=world.unit.id,
    )
    await session.commit()
    async with start_bot(settings, emulator, clock=clock) as app:
        assert await run_publisher(app.ctx) == 1
        card = await group.expect("#1 Repair · Water")
        topic = card["message_thread_id"]
        # The evening and the night do not count: still nothing at 08:00 the next day.
        clock.set(datetime(2026, 11, 26, 0, 0, tzinfo=UTC))
        await run_deadline_checks(app.ctx)
        await resident.expect_nothing(within=0.3, text_contains="not been taken")
        # 11:05 the next day: four working hours have passed.
        clock.set(datetime(2026, 11, 26, 3, 5, tzinfo=UTC))
        await run_deadline_checks(app.ctx)
        alert = await group.expect("Nobody has taken it yet", thread_id=topic)
        assert "#1" in alert["text"]
        told = await resident.expect("has not been taken by a staff member yet")
        assert "#1" in told["text"]
        await run_deadline_checks(app.ctx)
        await resident.expect_nothing(within=0.3, text_contains="not been taken")
