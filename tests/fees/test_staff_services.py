"""The services behind the fee commands in the admin group: confirmed actions (all or
nothing), what staff type (periods, categories, ids), and which bills to remind of."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.fees.common import FeeError, Period
from core.fees.models import Expense, FeeOutbox, FeeReminder, Payment, Refund
from core.fees.scheduled import bills_to_remind, record_reminders
from core.fees.staff_actions import (
    EXPENSE,
    PAYMENT_OFFLINE,
    REFUND,
    Actor,
    bill_of_period,
    carry_out,
    payment_of_community,
)
from core.fees.staff_input import export_range, match_category, parse_id, period_range
from core.models import ResidencyRole
from tests.factories import make_community, make_resident
from tests.fees.helpers import NOW, PERIOD, billed_world

ACTOR = Actor(person_id=None, telegram_id=801)


async def test_a_refused_action_keeps_nothing_and_the_rest_of_the_transaction(session) -> None:
    world = await billed_world(session)
    unit = world.units[0]
    await make_resident(session, unit, 9101, "王业主", role=ResidencyRole.OWNER)
    paid = await carry_out(
        session,
        world.community,
        PAYMENT_OFFLINE,
        {"unit_id": unit.id, "method": "cash", "amount": 10000, "note": "现金"},
        actor=ACTOR,
        now=NOW,
    )
    # The receipt for the owner is queued with the payment, to be delivered now.
    assert len(paid.outbox_ids) == 1
    assert await session.get(FeeOutbox, paid.outbox_ids[0]) is not None

    with pytest.raises(FeeError) as refused:
        await carry_out(
            session,
            world.community,
            REFUND,
            {"payment_id": paid.id, "amount": 10001, "reason": "多收"},
            actor=ACTOR,
            now=NOW,
        )
    assert refused.value.code == "more_than_refundable"
    with pytest.raises(FeeError) as unknown:
        await carry_out(session, world.community, "fees.nothing", {}, actor=ACTOR, now=NOW)
    assert unknown.value.code == "unknown_action"
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Refund)) == 0
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1

    done = await carry_out(
        session,
        world.community,
        EXPENSE,
        {
            "fund": "operating",
            "direction": "out",
            "category": "cleaning",
            "amount": 1500,
            "description": "保洁",
        },
        actor=ACTOR,
        now=NOW,
    )
    expense = await session.get(Expense, done.id)
    assert expense is not None and expense.occurred_on == date(2026, 11, 1)


async def test_lookups_stay_inside_the_community(session) -> None:
    world = await billed_world(session)
    other = await make_community(session)
    unit = world.units[0]
    paid = await carry_out(
        session,
        world.community,
        PAYMENT_OFFLINE,
        {"unit_id": unit.id, "method": "cash", "amount": 100, "note": "现金"},
        actor=ACTOR,
        now=NOW,
    )
    assert await payment_of_community(session, world.community.id, paid.id) is not None
    assert await payment_of_community(session, other.id, paid.id) is None
    assert await payment_of_community(session, world.community.id, 999) is None
    bill = await bill_of_period(session, unit.id, PERIOD)
    assert bill is not None and bill.period == "2026-11"
    assert await bill_of_period(session, unit.id, PERIOD.shift(1)) is None


def test_what_staff_type() -> None:
    today = date(2026, 11, 20)
    assert period_range(None, today) == (Period(2026, 11), Period(2026, 11))
    assert period_range("2026-12 2026-10", today) == (Period(2026, 10), Period(2026, 12))
    assert export_range("", today) == (Period(2025, 12), Period(2026, 11))
    assert export_range("2026-11", today) == (Period(2026, 11), Period(2026, 11))
    with pytest.raises(FeeError):
        period_range("November", today)
    labels = [{"cleaning": "保洁"}, {"cleaning": "Cleaning"}]
    allowed = ("cleaning", "security")
    assert match_category("保洁", allowed, labels) == "cleaning"
    assert match_category("CLEANING", allowed, labels) == "cleaning"
    assert match_category("security", allowed, labels) == "security"
    assert match_category("elevator", allowed, labels) is None
    assert parse_id("#42") == 42 and parse_id("42") == 42 and parse_id("x42") is None


async def test_reminders_wait_their_interval(session) -> None:
    world = await billed_world(session, units=2)
    # The first bills are due on 15 November; three days before, all are reminded.
    before = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    due = await bills_to_remind(session, world.community, now=before)
    assert set(due) == {u.id for u in world.units}
    assert await bills_to_remind(session, world.community, now=NOW) == {}  # too early
    bills = [b for unit_bills in due.values() for b in unit_bills]
    today = date(2026, 11, 12)
    await record_reminders(session, bills, today=today, recipients=2, delivered=1, now=before)
    await session.flush()
    kinds = set((await session.scalars(select(FeeReminder.kind))).all())
    assert kinds == {"before_due"}
    # Within the interval (3 days by default) nobody is reminded again; after it, again.
    assert await bills_to_remind(session, world.community, now=before + timedelta(days=2)) == {}
    later = await bills_to_remind(session, world.community, now=before + timedelta(days=4))
    assert set(later) == {u.id for u in world.units}
