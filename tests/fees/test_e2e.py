"""Fees end to end through the Bot API emulator: bill, invoice, payment, receipt, report."""

from __future__ import annotations

from sqlalchemy import func, select

from core.fees.models import Bill, BillStatus, Payment
from tests.fees.conftest import ACCOUNTANT_ID, MANAGER_ID


async def _invoice_for(chat, what: str = "Pay 2026-11"):
    await chat.send("/bills")
    overview = await chat.expect("3栋-1201")
    button = next(
        b["text"]
        for row in overview["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].startswith(what)
    )
    await chat.press(overview, button)
    return await chat.expect(invoice=True)


async def test_bill_pay_receipt_report(fees_bot, emulator, world, session):
    # The scheduled job generates November's bills (the clock is 1 November, 10:00).
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    owner = world.owner_chat
    await owner.send("/bills")
    overview = await owner.expect("3栋-1201")
    assert "Due now: CN¥465.58" in overview["text"]  # 89.50 × 1.85 = 165.575 → 165.58 + 2 × 150
    assert "unpaid" in overview["text"]

    invoice_msg = await _invoice_for(owner)
    assert invoice_msg["invoice"]["total_amount"] == 46558
    assert invoice_msg["invoice"]["currency"] == "CNY"
    outcome = await owner.pay(invoice_msg)
    assert outcome.ok, outcome

    receipt = await owner.expect("Receipt")
    assert "Sunny Garden · 3栋-1201" in receipt["text"]
    assert "Period 2026-11" in receipt["text"]
    assert "Amount paid: CN¥465.58" in receipt["text"]
    assert outcome.telegram_payment_charge_id in receipt["text"]
    pdf_msg = await owner.expect(document=True, timeout=30)
    pdf = emulator.core.files.get(pdf_msg["document"]["file_id"]).data
    assert pdf.startswith(b"%PDF")

    await owner.send("/bills")
    after = await owner.expect("3栋-1201")
    assert "✅ paid" in after["text"] and "Nothing is due" in after["text"]
    bill = await session.scalar(select(Bill).where(Bill.unit_id == world.unit.id))
    assert bill.status == BillStatus.PAID

    await world.group.send(MANAGER_ID, "/report 2026-11")
    report = await world.group.expect("Collection rate")
    assert "2026-11 3栋: 100.0% — CN¥465.58 of CN¥465.58, 1/1 bills paid" in report["text"]
    assert "5栋" in report["text"]  # the other building, unpaid


async def test_checkout_refused_when_someone_else_paid(fees_bot, emulator, world, session):
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    owner_invoice = await _invoice_for(world.owner_chat)
    tenant_invoice = await _invoice_for(world.tenant_chat)
    assert (await world.owner_chat.pay(owner_invoice)).ok
    await world.owner_chat.expect("Receipt")  # the payment is recorded
    refused = await world.tenant_chat.pay(tenant_invoice)
    assert not refused.ok and refused.status == "declined"
    assert "already been paid" in refused.error_message
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_offline_payment_by_accountant(fees_bot, emulator, world, session):
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    group = world.group
    await group.send(ACCOUNTANT_ID, "/pay_cash 3栋-1201 465.58 paid at the office")
    summary = await group.expect("Record a cash payment of CN¥465.58 for 3栋-1201?")
    await group.press(summary, "✅ Confirm", from_user=ACCOUNTANT_ID)
    done = await group.expect_edit(summary)
    assert "Payment #1 recorded" in done["text"]
    receipt = await world.owner_chat.expect("Receipt", timeout=30)
    assert "cash" in receipt["text"]
    await world.tenant_chat.expect("Receipt", timeout=30)
    bill = await session.scalar(select(Bill).where(Bill.unit_id == world.unit.id))
    assert bill.status == BillStatus.PAID


async def test_payment_recorded_in_the_middle_of_another_conversation(
    fees_bot, emulator, world, session
):
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    owner = world.owner_chat
    invoice_msg = await _invoice_for(owner)
    # The resident starts filing a repair ticket, then pays the older invoice.
    await owner.send("/ticket")
    await owner.expect("What would you like to report?")
    assert (await owner.pay(invoice_msg)).ok
    await owner.expect("Receipt", timeout=30)
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
