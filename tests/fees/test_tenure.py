"""A bill belongs to whoever lived in the home in its period (issue 21, item 7): a
tenant who moved in on 3 December is neither reminded of nor shown November."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from core.fees.models import Bill, FeeReminder
from core.models import ResidencyRole
from tests.factories import make_resident

NEW_TENANT_ID = 704


async def test_a_new_tenant_owes_only_from_moving_in(fees_bot, emulator, world, session, clock):
    scheduler = fees_bot.ctx.scheduler
    await scheduler.run_now("fees.bills")  # November's bills, due on the 15th
    await make_resident(
        session,
        world.unit,
        NEW_TENANT_ID,
        "Chen Newcomer",
        role=ResidencyRole.TENANT,
        locale="en",
        start_date=date(2026, 12, 3),
    )
    await session.commit()
    newcomer = emulator.user(NEW_TENANT_ID, "Chen", language_code="en")

    # 4 December, 10:00 in Shanghai: November is overdue.
    clock.set(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    reminder = await world.owner_chat.expect(invoice=True)
    assert "2026-11" in reminder["invoice"]["description"]
    await newcomer.expect_nothing(within=0.5, invoice=True)
    await newcomer.send("/bills")
    mine = await newcomer.expect("3栋-1201")
    assert "2026-11" not in mine["text"] and "Nothing is due" in mine["text"]
    assert "Pay" not in str(mine["reply_markup"])

    # December's bills are the newcomer's too, and only those.
    await scheduler.run_now("fees.bills")
    clock.set(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    december = await newcomer.expect(invoice=True)
    assert "2026-12" in december["invoice"]["description"]
    assert "2026-11" not in december["invoice"]["description"]
    await newcomer.send("/bills")
    mine = await newcomer.expect("2026-12")
    assert "2026-11" not in mine["text"]

    november = await session.scalar(
        select(Bill).where(Bill.unit_id == world.unit.id, Bill.period == "2026-11")
    )
    counts = (
        await session.scalars(
            select(FeeReminder.recipients).where(FeeReminder.bill_id == november.id)
        )
    ).all()
    assert counts and max(counts) == 2  # the owner and the old tenant, never the newcomer
