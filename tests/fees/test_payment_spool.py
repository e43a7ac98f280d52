"""A payment the database could not take is kept on disk and recorded later, once.

Telegram reports a completed payment once; if the update fails, it is not sent
again. Here the ledger's table is really gone while the payment arrives (renamed
away from under the bot), then comes back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text

from core.fees.models import Bill, BillStatus, Payment
from core.fees.spool import PaymentSpool, SpooledPayment
from tests.fees.test_e2e import _invoice_for


async def _rename(session, old: str, new: str) -> None:
    await session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    await session.commit()


async def test_a_payment_during_a_database_failure_is_recorded_once_it_recovers(
    fees_bot, emulator, world, session, fees_settings
):
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    owner, owner_id, unit_id = world.owner_chat, world.owner.id, world.unit.id
    invoice_msg = await _invoice_for(owner)

    await _rename(session, "payments", "payments_away")
    try:
        outcome = await owner.pay(invoice_msg)
        assert outcome.ok, outcome
        saved = await owner.expect("We received your payment of CN¥465.58")
        assert "will be recorded within a few minutes" in saved["text"]
        assert "Traceback" not in saved["text"]
        spool = PaymentSpool(fees_settings.spool_dir)
        [(_, spooled)] = spool.pending()
        assert spooled.telegram_payment_charge_id == outcome.telegram_payment_charge_id
        assert spooled.total_amount == 46558 and spooled.payer_telegram_id == owner.id

        # Still down: the job leaves it where it is.
        assert await fees_bot.ctx.scheduler.jobs["fees.spool"].func() == 0
        assert len(spool.pending()) == 1
    finally:
        await _rename(session, "payments_away", "payments")

    await fees_bot.ctx.scheduler.run_now("fees.spool")
    receipt = await owner.expect("Receipt", timeout=30)
    assert "Amount paid: CN¥465.58" in receipt["text"]
    assert outcome.telegram_payment_charge_id in receipt["text"]
    assert spool.pending() == []
    session.expire_all()
    payments = (await session.scalars(select(Payment))).all()
    assert len(payments) == 1 and payments[0].payer_person_id == owner_id
    bill = await session.scalar(select(Bill).where(Bill.unit_id == unit_id))
    assert bill.status == BillStatus.PAID

    # Spooled twice (a crash between recording and removing): still one payment.
    spool.put(spooled)
    await fees_bot.ctx.scheduler.run_now("fees.spool")
    assert spool.pending() == []
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_spooled_payment_for_no_invoice_of_ours_is_reported_to_the_payer(
    fees_bot, emulator, world, fees_settings
):
    spool = PaymentSpool(fees_settings.spool_dir)
    spool.put(
        SpooledPayment(
            payload="fee:999999:forged",
            currency="CNY",
            total_amount=100,
            telegram_payment_charge_id="tg-charge-unknown",
            provider_payment_charge_id=None,
            payer_telegram_id=world.owner.telegram_id,
            chat_id=world.owner.telegram_id,
            received_at=datetime(2026, 11, 1, 2, 0, tzinfo=UTC),
            locale="en",
        )
    )
    await fees_bot.ctx.scheduler.run_now("fees.spool")
    told = await world.owner_chat.expect("could not match it to a bill")
    assert "tg-charge-unknown" in told["text"]
    assert spool.pending() == []


def test_spool_files_are_whole_or_absent(tmp_path) -> None:
    spool = PaymentSpool(tmp_path)
    payment = SpooledPayment(
        payload="fee:1:abc",
        currency="CNY",
        total_amount=46558,
        telegram_payment_charge_id="charge/with:odd chars",
        provider_payment_charge_id="prov-1",
        payer_telegram_id=701,
        chat_id=701,
        received_at=datetime(2026, 11, 1, 2, 0, tzinfo=UTC),
        locale="zh_Hans",
    )
    path = spool.put(payment)
    assert path.parent == tmp_path / "payments" and path.suffix == ".json"
    assert spool.put(payment) == path  # one file per charge
    (tmp_path / "payments" / "broken.json").write_text("{not json")
    assert spool.pending() == [(path, payment)]  # the broken one is logged, kept
    assert sorted(p.name for p in (tmp_path / "payments").iterdir()) == sorted(
        [path.name, "broken.json"]
    )
    spool.remove(path)
    assert [p for p, _ in spool.pending()] == []
