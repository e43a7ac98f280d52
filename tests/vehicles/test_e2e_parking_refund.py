"""A parking payment that arrives after the car left (here, replayed from the payment
spool) is recorded and the payer told the office refunds it; a manager's /parkrefund
records the refund in the ledger as a manual one and tells the payer; a guard may not."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from access.vehicles.models import VehicleVisit
from access.vehicles.parking import payload
from core.fees.accounts import build_statement
from core.fees.models import Refund
from core.fees.spool import PaymentSpool, SpooledPayment
from core.models import AuditEntry, Community
from tests.vehicles.test_e2e_parking import (  # noqa: F401
    GUARD_ID,
    HOST_ID,
    MANAGER_ID,
    camera,
    settings,
    world,
)


async def test_a_payment_after_the_car_left_is_refunded_by_a_manager(
    world,  # noqa: F811
    session,
    settings,  # noqa: F811
):
    w = world
    assert (await camera(w, "粤B12345", "in"))["granted"]
    w.clock.advance(timedelta(minutes=20))
    assert (await camera(w, "粤B12345", "out"))["granted"]  # free minutes: out
    stay = await session.scalar(select(VehicleVisit).where(VehicleVisit.plate == "粤B12345"))
    assert stay is not None and not stay.inside

    # The host's payment reaches us only now (it waited in the spool).
    PaymentSpool(settings.spool_dir).put(
        SpooledPayment(
            payload=payload(stay.id, 1000),
            currency="CNY",
            total_amount=1000,
            telegram_payment_charge_id="tg-late-1",
            provider_payment_charge_id="prov-late-1",
            payer_telegram_id=HOST_ID,
            chat_id=HOST_ID,
            received_at=w.clock.now(),
            locale="en",
        )
    )
    await w.app.ctx.scheduler.run_now("fees.spool")
    await w.host.expect("粤B12345 had already left when this payment arrived")
    await w.group.expect("record it with /parkrefund 粤B12345")

    await w.group.send(GUARD_ID, "/parkrefund 粤B12345")
    await w.group.expect("Only")
    await w.group.send(MANAGER_ID, "/parkrefund 粤B")
    await w.group.expect("Usage: /parkrefund PLATE")
    await w.group.send(MANAGER_ID, "/parkrefund 粤b 12345")
    await w.group.expect("CN¥10.00 for 粤B12345 is recorded as a manual refund")
    told = await w.host.expect("Your parking payment of CN¥10.00 for 粤B12345")
    assert "refunding it to you by hand" in told["text"]
    await w.group.send(MANAGER_ID, "/parkrefund 粤B12345")
    await w.group.expect("already refunded. Nothing was changed")

    [refund] = (await session.scalars(select(Refund))).all()
    assert refund.amount_minor == 1000 and "manual refund" in refund.reason
    community = await session.get(Community, stay.community_id)
    data = await build_statement(
        session, community, date(2026, 7, 1), date(2027, 1, 1), as_of=w.clock.now()
    )
    assert [r for r in data.income if r.collected_minor] == []  # parking income net 0
    assert data.received_minor == 0
    actions = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.allowed).where(
                AuditEntry.action.in_(("vehicles.refund", "parking.refund", "fees.refund"))
            )
        )
    ).all()
    assert sorted(actions) == [
        ("fees.refund", True),
        ("parking.refund", True),
        ("vehicles.refund", False),
    ]
