"""Fee reminders are claimed before they are sent (core.sends): a run that fails or
dies mid-way, re-run, and two runs at once, remind each resident exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import handlers.fees.reminders as reminders
from core.fees.models import Bill, FeeReminder
from core.models import Person
from core.sends import SendClaim
from handlers.fees.reminders import send_reminders
from tests.fees.conftest import OWNER_ID, TENANT_ID

DUE_SOON = datetime(2026, 11, 14, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, due on the 15th


def invoices(chat) -> int:
    return sum(1 for m in chat.bot_messages if "invoice" in m)


async def reminder_rows(session, unit_id: int) -> list[tuple[str, int, int]]:
    session.expire_all()
    bills = select(Bill.id).where(Bill.unit_id == unit_id)
    rows = await session.scalars(select(FeeReminder).where(FeeReminder.bill_id.in_(bills)))
    return sorted((r.kind, r.recipients, r.delivered) for r in rows)


async def bills_due(fees_bot, clock) -> None:
    await fees_bot.ctx.scheduler.run_now("fees.bills")  # 1 November: due on the 15th
    clock.set(DUE_SOON)


async def test_a_failed_send_is_given_back_and_the_rerun_resumes(
    fees_bot, world, clock, session, monkeypatch
) -> None:
    await bills_due(fees_bot, clock)
    real = reminders._remind_person
    failed: list[int] = []

    async def flaky(ctx, person, *args, **kwargs):
        if person.telegram_id == TENANT_ID and not failed:
            failed.append(person.telegram_id)
            raise ConnectionError("Telegram unreachable")
        return await real(ctx, person, *args, **kwargs)

    monkeypatch.setattr(reminders, "_remind_person", flaky)
    unit_id = world.unit.id
    with pytest.raises(ConnectionError):
        await send_reminders(fees_bot.ctx)
    await world.owner_chat.expect(invoice=True)
    assert invoices(world.tenant_chat) == 0
    assert await reminder_rows(session, unit_id) == []  # the round is not over

    assert await send_reminders(fees_bot.ctx) == 1  # the tenant's only
    await world.tenant_chat.expect(invoice=True)
    assert await send_reminders(fees_bot.ctx) == 0
    await world.owner_chat.expect_nothing(within=0.3, invoice=True)
    assert invoices(world.owner_chat) == 1
    assert invoices(world.tenant_chat) == 1
    # One row per bill, counting both deliveries (the first run's and the second's).
    rows = await reminder_rows(session, unit_id)
    assert rows and all(r == ("before_due", 2, 2) for r in rows)


async def test_a_run_that_died_after_a_claim_never_sends_it_again(
    fees_bot, world, clock, session
) -> None:
    await bills_due(fees_bot, clock)
    # A first run claimed the owner's reminder, then its process died (kill -9)
    # before Telegram answered: the claim is committed, the send unknown.
    unit_id = world.unit.id
    bills = list(await session.scalars(select(Bill).where(Bill.unit_id == unit_id)))
    owner_id = await session.scalar(select(Person.id).where(Person.telegram_id == OWNER_ID))
    prefix = reminders.reminder_round(DUE_SOON.date(), unit_id, bills)
    session.add(SendClaim(key=f"{prefix}{owner_id}", claimed_at=DUE_SOON))
    await session.commit()

    assert await send_reminders(fees_bot.ctx) == 1
    await world.tenant_chat.expect(invoice=True)
    assert await send_reminders(fees_bot.ctx) == 0
    await world.tenant_chat.expect_nothing(within=0.3, invoice=True)
    assert invoices(world.owner_chat) == 0  # at most once: never twice
    assert invoices(world.tenant_chat) == 1


async def test_two_runs_at_once_remind_each_resident_once(fees_bot, world, clock, session) -> None:
    await bills_due(fees_bot, clock)
    sent = await asyncio.gather(*(send_reminders(fees_bot.ctx) for _ in range(3)))
    assert sum(sent) == 2
    await world.owner_chat.expect(invoice=True)
    await world.tenant_chat.expect(invoice=True)
    await world.owner_chat.expect_nothing(within=0.3, invoice=True)
    assert (invoices(world.owner_chat), invoices(world.tenant_chat)) == (1, 1)
    unit_id = world.unit.id
    rows = await reminder_rows(session, unit_id)
    bills = (await session.scalars(select(Bill).where(Bill.unit_id == unit_id))).all()
    assert len(rows) == len(bills)  # one reminder row per bill, not three
