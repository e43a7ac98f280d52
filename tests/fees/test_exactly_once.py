"""Exactly once: duplicated and concurrent successful_payment updates, and a crash
between recording a payment and sending its receipt."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from bot.app import build_application
from core.fees.billing import generate_bills
from core.fees.models import (
    Bill,
    BillStatus,
    FeeOutbox,
    OutboxStatus,
    Payment,
    PaymentAllocation,
)
from core.fees.payments import create_invoice
from tests.factories import make_community, make_person, make_unit
from tests.fees.conftest import OWNER_ID
from tests.fees.helpers import NOW, PERIOD
from tests.harness import start_bot

PAYMENTS = 1000
PAYERS = 40


def _successful_payment(update_id: int, user_id: int, payload: str, amount: int, charge: str):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "P"},
            "from": {"id": user_id, "is_bot": False, "first_name": "P", "language_code": "zh-hans"},
            "successful_payment": {
                "currency": "CNY",
                "total_amount": amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge,
                "provider_payment_charge_id": f"prov-{charge}",
            },
        },
    }


@pytest.mark.slow
async def test_thousand_payments_each_delivered_2_to_5_times(
    session, fees_settings, emulator
) -> None:
    community = await make_community(session, "Big Garden")
    from core.fees.models import FeeKind
    from core.fees.schedule import add_fee_item

    await add_fee_item(session, community, name="物业费", kind=FeeKind.PER_M2, amount_minor=185)
    for i in range(PAYMENTS):
        await make_unit(session, community, f"{i // 100 + 1}栋", f"{i % 100 + 1:04d}")
    for n in range(PAYERS):
        # Payers have talked to the bot before (they pressed Pay), so they are known.
        await make_person(session, 10_000 + n, f"Payer {n}")
    await generate_bills(session, community, PERIOD, now=NOW, trigger="test")
    unit_ids = (await session.scalars(select(Bill.unit_id).order_by(Bill.id))).all()
    drafts = [await create_invoice(session, unit_id=u, person_id=None, now=NOW) for u in unit_ids]
    await session.commit()
    assert len(drafts) == PAYMENTS

    rng = random.Random(6)
    raw: list[dict] = []
    for n, draft in enumerate(drafts):
        update = _successful_payment(
            n + 1,
            10_000 + n % PAYERS,
            draft.payload,
            draft.invoice.amount_minor,
            f"charge-{n:05d}",
        )
        raw += [update] * rng.randint(2, 5)
    rng.shuffle(raw)

    settings = fees_settings.model_copy(update={"telegram_api": emulator.base_url})
    app = await build_application(
        settings, migrate=False, start_scheduler=False, start_services=False
    )
    app.ctx.fees.deliver_inline = False  # receipts stay queued: we count them below
    try:
        with app.ctx.i18n.context():
            # Concurrent, like aiogram's polling (handle_as_tasks); duplicates overlap.
            gate = asyncio.Semaphore(4)

            async def feed(item: dict) -> None:
                async with gate:
                    update = Update.model_validate(item, context={"bot": app.bot})
                    await app.dp.feed_update(app.bot, update)

            await asyncio.gather(*(feed(item) for item in raw))
    finally:
        await app.close()

    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert await count(Payment) == PAYMENTS
    assert await count(PaymentAllocation) == PAYMENTS
    per_bill = (
        await session.execute(
            select(PaymentAllocation.bill_id, func.count()).group_by(PaymentAllocation.bill_id)
        )
    ).all()
    assert len(per_bill) == PAYMENTS and {c for _, c in per_bill} == {1}
    bills = (await session.scalars(select(Bill).execution_options(populate_existing=True))).all()
    assert all(b.status == BillStatus.PAID and b.paid_minor == b.amount_due_minor for b in bills)
    receipts = (await session.scalars(select(FeeOutbox).where(FeeOutbox.kind == "receipt"))).all()
    assert len(receipts) == PAYMENTS
    assert len({r.payload["payment_id"] for r in receipts}) == PAYMENTS


async def _wait_for(predicate, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_crash_before_receipt_then_restart_sends_it_once(
    fees_settings, emulator, world, session, clock
) -> None:
    owner = world.owner_chat
    async with start_bot(fees_settings, emulator, clock=clock) as first:
        # The process "dies" right after the payment is committed: no inline delivery.
        first.ctx.fees.deliver_inline = False
        await first.ctx.scheduler.run_now("fees.bills")
        await owner.send("/bills")
        overview = await owner.expect("3栋-1201")
        await owner.press(overview, "Pay 2026-11 · CN¥465.58")
        invoice = await owner.expect(invoice=True)
        outcome = await owner.pay(invoice)
        assert outcome.ok

        async def recorded() -> bool:
            return bool(await session.scalar(select(func.count()).select_from(Payment)))

        await _wait_for(recorded)
    await owner.expect_nothing(within=0.3, text_contains="Receipt")
    pending = await session.scalar(
        select(FeeOutbox).where(FeeOutbox.status == OutboxStatus.PENDING)
    )
    assert pending is not None and pending.kind == "receipt"

    async with start_bot(fees_settings, emulator, clock=clock) as second:
        await second.ctx.scheduler.run_now("fees.outbox")
        receipt = await owner.expect("Receipt")
        assert outcome.telegram_payment_charge_id in receipt["text"]
        await owner.expect(document=True, timeout=30)
        # Telegram delivers the same successful_payment again; the job runs again.
        emulator.inject_update(
            {
                "update_id": 9_999_001,
                "message": {
                    **outcome.message,
                    "chat": {"id": OWNER_ID, "type": "private", "first_name": "Wang"},
                },
            }
        )
        await asyncio.sleep(1.5)
        await second.ctx.scheduler.run_now("fees.outbox")
        await owner.expect_nothing(within=0.5, text_contains="Receipt")
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    sent = (
        await session.scalars(select(FeeOutbox).execution_options(populate_existing=True))
    ).all()
    assert [(o.status, o.step) for o in sent] == [(OutboxStatus.SENT, 2)]
