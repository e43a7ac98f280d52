"""A paid stay is temporary-parking income in the fee ledger and the public accounts,
once, however often Telegram delivers the payment."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from access.vehicles.models import VehicleVisit
from access.vehicles.parking import record_parking_payment, stay_payments
from core.fees.accounts import build_statement
from core.fees.models import Payment
from core.fees.statement import PARKING
from tests.access.conftest import START
from tests.factories import make_community, make_unit


async def test_a_paid_stay_is_parking_income_once(session):
    community = await make_community(session, "Sunny Garden", locale="en")
    unit = await make_unit(session, community, "3栋", "1201")
    stay = VehicleVisit(
        community_id=community.id,
        plate="粤B12345",
        reason="pass",
        unit_id=unit.id,
        entered_at=START,
        inside=True,
    )
    session.add(stay)
    await session.commit()

    paid_at = START + timedelta(hours=2)
    for _ in range(2):  # the same successful_payment delivered twice
        got, new = await record_parking_payment(
            session, stay_id=stay.id, amount_minor=1000, charge_id="tg-1", now=paid_at
        )
        await session.commit()
    assert got is not None and got.paid_minor == 1000 and not new

    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    [payment] = await stay_payments(session, got)
    assert (payment.amount_minor, payment.unit_id) == (1000, unit.id)

    data = await build_statement(
        session, community, date(2026, 7, 1), date(2027, 1, 1), as_of=paid_at
    )
    [parking] = [row for row in data.income if row.name == PARKING]
    assert (parking.billed_minor, parking.collected_minor) == (1000, 1000)
    assert data.received_by_method == {"telegram": 1000}
