"""Paying an invoice, then tapping its Pay again (issue 21, item 8): the paid invoice
leaves the chat, and a Pay that still reaches the bot is told it was paid here."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.emulator.errors import EmulatorError
from core.fees.models import Payment
from tests.fees.test_e2e import _invoice_for
from tests.harness import idle


async def test_a_paid_invoice_cannot_be_paid_again(fees_bot, emulator, world, session):
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    owner = world.owner_chat
    invoice = await _invoice_for(owner)
    assert (await owner.pay(invoice)).ok
    await owner.expect("Receipt")
    await idle(fees_bot)
    assert emulator.core.chat(owner.id).messages[invoice["message_id"]].deleted
    with pytest.raises(EmulatorError):
        await owner.pay(invoice)  # no Pay button left to tap
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_late_second_tap_is_told_it_was_paid_here(fees_bot, emulator, world, session):
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    owner = world.owner_chat
    invoice = await _invoice_for(owner)
    record = emulator.core.chat(owner.id).messages[invoice["message_id"]].invoice
    assert (await owner.pay(invoice)).ok
    await owner.expect("Receipt")
    # The second tap raced the invoice's removal (or the invoice was too old to delete).
    again = await owner._actions.pay(owner.id, owner.id, invoice=record)
    assert not again.ok and "already paid this invoice" in again.error_message
    assert "failed" not in again.error_message
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
