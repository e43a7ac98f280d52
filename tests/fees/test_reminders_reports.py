"""Reminders (who, when, how often, never at night), late fees, staff reports, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from core.fees.billing import apply_late_fees
from core.fees.common import Period
from core.fees.models import Bill, BillAdjustment, FeeReminder
from core.fees.reports import collection_by_building, export_csv, overdue_units
from core.models import ResidencyRole
from tests.factories import make_resident
from tests.fees.conftest import ACCOUNTANT_ID, OWNER_ID, TENANT_ID


async def test_reminders_before_due_overdue_quiet_hours_and_spacing(
    fees_bot, emulator, world, session, clock
) -> None:
    _family, _ = await make_resident(
        session, world.unit, 703, "Wang Junior", role=ResidencyRole.FAMILY, locale="en"
    )
    await session.commit()
    family_chat = emulator.user(703, "Junior", language_code="en")
    scheduler = fees_bot.ctx.scheduler
    await scheduler.run_now("fees.bills")  # 1 November: due on the 15th

    await scheduler.run_now("fees.reminders")  # two weeks early: nothing yet
    await world.owner_chat.expect_nothing(within=0.3, invoice=True)

    # 13 November 23:00 in Shanghai: quiet hours.
    clock.set(datetime(2026, 11, 13, 15, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    await world.owner_chat.expect_nothing(within=0.3, invoice=True)

    # 14 November 10:00: owner and tenant get a reminder they can pay with one tap.
    clock.set(datetime(2026, 11, 14, 2, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    for chat in (world.owner_chat, world.tenant_chat):
        reminder = await chat.expect(invoice=True)
        assert reminder["invoice"]["total_amount"] == 46558
        assert "is due on" in reminder["invoice"]["description"]
        assert reminder["reply_markup"]["inline_keyboard"][0][0]["text"].startswith("Pay")
    await family_chat.expect_nothing(within=0.3, invoice=True)

    # Again the next day: at most one reminder per bill every 3 days.
    clock.set(datetime(2026, 11, 15, 2, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    await world.owner_chat.expect_nothing(within=0.3, invoice=True)

    # Overdue, three days later: a second reminder, and the tenant pays from it.
    clock.set(datetime(2026, 11, 17, 3, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    overdue = await world.tenant_chat.expect(invoice=True)
    assert "overdue" in overdue["invoice"]["description"]
    await world.owner_chat.expect(invoice=True)
    outcome = await world.tenant_chat.pay(overdue)
    assert outcome.ok
    await world.tenant_chat.expect("Receipt")
    bill = await session.scalar(select(Bill).where(Bill.unit_id == world.unit.id))
    reminders = (
        await session.scalars(select(FeeReminder).where(FeeReminder.bill_id == bill.id))
    ).all()
    assert [(r.kind, r.recipients, r.delivered) for r in reminders] == [
        ("before_due", 2, 2),
        ("overdue", 2, 2),
    ]

    clock.set(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    await scheduler.run_now("fees.reminders")
    await world.owner_chat.expect_nothing(within=0.3, invoice=True)


async def test_late_fee_once_and_reports(session, world) -> None:
    from core.fees.billing import generate_bills

    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    item = (await session.execute(select(Bill).limit(1))).first()
    assert item is None
    from core.fees.models import FeeItem

    fee = await session.scalar(select(FeeItem).where(FeeItem.name == "Management fee"))
    fee.late_fee_minor = 1000
    await session.commit()
    await generate_bills(session, world.community, Period(2026, 11), now=now, trigger="test")
    await session.commit()
    later = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert await apply_late_fees(session, world.community, now=later) == 2
    assert await apply_late_fees(session, world.community, now=later) == 0
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(BillAdjustment)) == 2
    bill = await session.scalar(
        select(Bill).where(Bill.unit_id == world.unit.id).execution_options(populate_existing=True)
    )
    assert bill.amount_due_minor == 46558 + 1000

    rows = await collection_by_building(
        session, world.community.id, Period(2026, 11), Period(2026, 11)
    )
    assert [(r.building, r.bills, r.paid, r.due_minor) for r in rows] == [
        ("3栋", 1, 0, 47558),
        ("5栋", 1, 0, 12100),
    ]
    overdue = await overdue_units(session, world.community.id, date(2026, 11, 20))
    assert [(u.label, u.outstanding_minor, u.days_overdue) for u in overdue] == [
        ("3栋-1201", 47558, 5),
        ("5栋-0101", 12100, 5),
    ]
    data = await export_csv(session, world.community.id, Period(2026, 11), Period(2026, 11))
    assert data.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0]["unit"] == "1201" and table[0]["amount_due"] == "475.58"
    assert table[0]["status"] == "open" and table[1]["billed"] == "111.00"


async def test_bills_job_only_early_in_the_period(fees_bot, world, session, clock) -> None:
    clock.set(datetime(2026, 11, 12, 2, 0, tzinfo=UTC))
    await fees_bot.ctx.scheduler.run_now("fees.bills")  # mid-month: nothing
    assert await session.scalar(select(func.count()).select_from(Bill)) == 0
    clock.set(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # missed the 1st: caught up
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    periods = (await session.scalars(select(Bill.period))).all()
    assert periods == ["2026-12", "2026-12"]


async def test_staff_overdue_and_export_in_group(fees_bot, emulator, world, clock) -> None:
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    clock.set(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    group = world.group
    await group.send(ACCOUNTANT_ID, "/overdue")
    listing = await group.expect("Overdue units (2)")
    assert "3栋-1201: CN¥465.58 (2026-11), 10 days overdue" in listing["text"]
    await group.send(ACCOUNTANT_ID, "/export 2026-11")
    document = await group.expect(document=True)
    data = emulator.core.files.get(document["document"]["file_id"]).data
    assert "3栋,1201,2026-11" in data.decode("utf-8-sig")
    # Residents are not staff: refused, and the refusal is audited.
    group.add_member(OWNER_ID, "Wang")
    await group.send(OWNER_ID, "/overdue")
    await group.expect("Only manager, accountant can do this.")
    _ = TENANT_ID


async def test_reminder_without_payments_is_a_message(settings, emulator, world, clock) -> None:
    from tests.harness import start_bot

    async with start_bot(settings, emulator, clock=clock) as app:  # no provider token
        await app.ctx.scheduler.run_now("fees.bills")
        clock.set(datetime(2026, 11, 14, 2, 0, tzinfo=UTC))
        await app.ctx.scheduler.run_now("fees.reminders")
        reminder = await world.owner_chat.expect("Reminder from Sunny Garden")
        assert "CN¥465.58 for 3栋-1201 (2026-11) is due on Nov 15, 2026" in reminder["text"]
        assert "property office" in reminder["text"]
        await world.owner_chat.send("/bills")
        overview = await world.owner_chat.expect("3栋-1201")
        assert "Paying in chat is not available yet" in overview["text"]
