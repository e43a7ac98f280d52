"""A parking payment the database could not take waits in the fees' payment spool and
is recorded later, once, with the payer told; the exit then opens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from core.fees.models import Payment
from core.fees.spool import PaymentSpool
from tests.vehicles.test_e2e_parking import camera, settings, world  # noqa: F401


async def _rename(session, old: str, new: str) -> None:
    await session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    await session.commit()


async def test_a_parking_payment_during_a_database_failure_is_recorded_later_once(
    world,  # noqa: F811
    session,
    settings,  # noqa: F811
):
    w = world
    assert (await camera(w, "粤B12345", "in"))["granted"]
    w.clock.advance(timedelta(minutes=95))
    assert (await camera(w, "粤B12345", "out"))["reason"] == "payment_due"
    notice = await w.host.expect("粤B12345 is at the exit")
    await w.host.press(notice, "Pay 粤B12345")
    invoice = await w.host.expect(invoice=True)

    spool = PaymentSpool(settings.spool_dir)
    await _rename(session, "payments", "payments_away")
    try:
        paid = await w.host.pay(invoice)
        assert paid.ok
        saved = await w.host.expect("We received your payment of CN¥10.00")
        assert "You do not need to pay again" in saved["text"]
        [(_, spooled)] = spool.pending()
        assert spooled.payload.startswith("park:")
    finally:
        await _rename(session, "payments_away", "payments")
    assert (await camera(w, "粤B12345", "out"))["reason"] == "payment_due"

    await w.app.ctx.scheduler.run_now("fees.spool")
    await w.host.expect("Parking for 粤B12345 is paid", timeout=30)
    assert spool.pending() == []
    assert (await camera(w, "粤B12345", "out"))["granted"]

    # Spooled again (a crash between recording and removing): still one payment.
    spool.put(spooled)
    await w.app.ctx.scheduler.run_now("fees.spool")
    assert spool.pending() == []
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    told = [m for m in w.host.messages if "is paid" in (m.get("text") or "")]
    assert len(told) == 1
