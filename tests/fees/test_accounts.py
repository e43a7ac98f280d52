"""The accounts open to residents: expenses, the maintenance fund, statements."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.fees.accounts import (
    apportion,
    build_statement,
    half_year_bounds,
    record_expense,
    render_statement,
    reverse_expense,
)
from core.fees.billing import generate_bills
from core.fees.common import FeeError, Period
from core.fees.documents import cjk_font
from core.fees.ledger import record_offline_payment
from core.fees.models import Bill, Direction, Fund, PaymentMethod
from core.models import AuditEntry
from tests.fees.conftest import ACCOUNTANT_ID, MANAGER_ID

NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def test_apportion_is_exact() -> None:
    assert apportion(100, [1, 1, 1]) == [34, 33, 33]
    assert apportion(46558, [16558, 30000]) == [16558, 30000]
    assert sum(apportion(12345, [7, 13, 0, 29])) == 12345
    assert apportion(10, [0, 0]) == [0, 0]


def test_half_years() -> None:
    assert half_year_bounds(date(2026, 11, 3)) == (date(2026, 7, 1), date(2027, 1, 1))
    assert half_year_bounds(date(2026, 3, 3), previous=True) == (
        date(2025, 7, 1),
        date(2026, 1, 1),
    )
    assert half_year_bounds(date(2027, 1, 1), previous=True) == (date(2026, 7, 1), date(2027, 1, 1))


async def _accounts_world(session, world):
    community = world.community
    await generate_bills(session, community, Period(2026, 11), now=NOW, trigger="test")
    await record_offline_payment(
        session,
        community,
        unit_id=world.unit.id,
        method=PaymentMethod.CASH,
        amount_minor=20000,  # part of ¥465.58
        note="partial, cash",
        actor_person_id=world.accountant.id,
        actor_telegram_id=ACCOUNTANT_ID,
        now=NOW,
    )
    common = {"actor_person_id": world.accountant.id, "actor_telegram_id": ACCOUNTANT_ID}
    await record_expense(
        session,
        community,
        fund=Fund.MAINTENANCE,
        direction=Direction.IN,
        category="deposit",
        amount_minor=1_000_000,
        description="opening deposit",
        occurred_on=date(2026, 3, 1),
        receipt_file_id=None,
        **common,
    )
    await record_expense(
        session,
        community,
        fund=Fund.OPERATING,
        direction=Direction.OUT,
        category="cleaning",
        amount_minor=150_000,
        description="保洁 November",
        occurred_on=date(2026, 11, 2),
        receipt_file_id="photo-1",
        **common,
    )
    wrong = await record_expense(
        session,
        community,
        fund=Fund.OPERATING,
        direction=Direction.OUT,
        category="security",
        amount_minor=99_900,
        description="typo",
        occurred_on=date(2026, 11, 2),
        receipt_file_id=None,
        **common,
    )
    await reverse_expense(
        session,
        community,
        expense_id=wrong.id,
        reason="entered twice",
        occurred_on=date(2026, 11, 3),
        **common,
    )
    await record_expense(
        session,
        community,
        fund=Fund.MAINTENANCE,
        direction=Direction.OUT,
        category="elevator",
        amount_minor=250_000,
        description="电梯 cable replacement",
        occurred_on=date(2026, 11, 5),
        receipt_file_id=None,
        **common,
    )
    await session.commit()


async def test_statement_numbers_and_documents(session, world) -> None:
    await _accounts_world(session, world)
    with pytest.raises(FeeError):
        await record_expense(
            session,
            world.community,
            fund=Fund.OPERATING,
            direction=Direction.IN,
            category="cleaning",
            amount_minor=1,
            description="x",
            occurred_on=date(2026, 11, 1),
            receipt_file_id=None,
            actor_person_id=None,
            actor_telegram_id=None,
        )
    data = await build_statement(
        session, world.community, date(2026, 7, 1), date(2027, 1, 1), as_of=NOW
    )
    income = {r.name: (r.billed_minor, r.collected_minor) for r in data.income}
    # ¥200 paid of ¥465.58 on 3栋-1201, shared in proportion: 165.58 : 300.00.
    assert income == {"Management fee": (16558 + 11100, 7113), "Parking": (30000, 12887)}
    assert data.collected_minor == 20000 and data.billed_minor == 57658
    assert (data.bills, data.bills_paid) == (2, 0)
    assert data.received_by_method == {"cash": 20000}
    assert data.expenses_by_category == {"cleaning": 150_000}  # the reversed entry nets out
    assert data.fund_opening_minor == 1_000_000
    assert data.fund_closing_minor == 750_000
    assert [m.category for m in data.fund_movements] == ["elevator"]

    rendered = render_statement(data, locale="en", translations=gettext.NullTranslations())
    assert "Collection rate: 34.7% (0 of 2 bills paid)" in rendered.text
    assert "Opening balance: CN¥10,000.00" in rendered.text
    assert "Closing balance: CN¥7,500.00" in rendered.text
    assert "Cleaning: CN¥1,500.00" in rendered.text
    png = rendered.chart()
    assert png is not None and png.startswith(b"\x89PNG")
    if cjk_font() is not None:
        pdf = rendered.pdf()
        assert pdf is not None and pdf.startswith(b"%PDF")
    audit = (
        await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("fees.%")))
    ).all()
    assert audit.count("fees.expense") == 4 and "fees.expense_reverse" in audit


async def test_accounts_on_demand_and_every_six_months(
    fees_bot, emulator, world, session, clock
) -> None:
    await _accounts_world(session, world)
    owner = world.owner_chat
    await owner.send("/accounts")
    statement = await owner.expect("Community accounts")
    assert "Sunny Garden" in statement["text"] and "Maintenance fund" in statement["text"]
    await owner.expect(photo=True, timeout=30)
    await owner.expect(document=True, timeout=30)

    # In November no statement goes out (a new deployment sends no stale ones).
    await fees_bot.ctx.scheduler.run_now("fees.statements")
    await fees_bot.ctx.scheduler.run_now("fees.outbox")
    await world.tenant_chat.expect_nothing(within=0.3, text_contains="Community accounts")

    # 1 January 2027, 09:00 in Shanghai: the second half of 2026 goes to everyone.
    clock.set(datetime(2027, 1, 1, 1, 0, tzinfo=UTC))
    await fees_bot.ctx.scheduler.run_now("fees.statements")
    await fees_bot.ctx.scheduler.run_now("fees.statements")  # once only
    await fees_bot.ctx.scheduler.run_now("fees.outbox")
    for chat in (world.owner_chat, world.tenant_chat):
        sent = await chat.expect("Jul 1, 2026 – Dec 31, 2026", timeout=30)
        assert "Closing balance: CN¥7,500.00" in sent["text"]
        await chat.expect(photo=True, timeout=30)
        await chat.expect(document=True, timeout=30)
    await fees_bot.ctx.scheduler.run_now("fees.outbox")
    await world.owner_chat.expect_nothing(within=0.3, text_contains="Community accounts")


async def test_staff_expense_with_receipt_photo_and_fee_add_flow(
    fees_bot, emulator, world, session
) -> None:
    from tests.fees.test_accounts_helpers import jpeg

    group = world.group
    await group.send_photo(ACCOUNTANT_ID, jpeg(), caption="/expense cleaning 1500 保洁 November")
    summary = await group.expect("Record expense")
    assert "(with receipt photo)" in summary["text"]
    await group.press(summary, "✅ Confirm", from_user=ACCOUNTANT_ID)
    done = await group.expect_edit(summary)
    assert "Entry #1 recorded" in done["text"]
    from core.fees.models import Expense

    expense = await session.scalar(select(Expense))
    assert expense.receipt_file_id and expense.category == "cleaning"

    # The accountant may not change the schedule; the manager may.
    await group.send(ACCOUNTANT_ID, "/fee_add")
    await group.expect("Only manager can do this.")
    await group.send(MANAGER_ID, "/fee_add")
    await group.expect("What is it called?")
    await group.send(MANAGER_ID, "Elevator fee")
    kind = await group.expect("How is Elevator fee charged?")
    await group.press(kind, "fixed per month", from_user=MANAGER_ID)
    await group.expect("Amount per unit per month?")
    await group.send(MANAGER_ID, "abc")
    await group.expect("Please send a positive amount")
    await group.send(MANAGER_ID, "30")
    scope = await group.expect("Which units does it apply to?")
    await group.press(scope, "Some buildings", from_user=MANAGER_ID)
    await group.expect("Which buildings?")
    await group.send(MANAGER_ID, "9栋")
    await group.expect("Unknown buildings: 9栋")
    await group.send(MANAGER_ID, "3栋")
    await group.expect("Due on which day")
    await group.send(MANAGER_ID, "31")
    await group.expect("between 1 and 28")
    await group.send(MANAGER_ID, "10")
    late = await group.expect("Late fee")
    await group.press(late, "No late fee", from_user=MANAGER_ID)
    every = await group.expect("How often is it billed?")
    await group.press(every, "monthly", from_user=MANAGER_ID)
    confirm = await group.expect("Add this fee item?")
    assert "Applies to: 3栋" in confirm["text"]
    await group.press(confirm, "✅ Confirm", from_user=MANAGER_ID)
    added = await group.expect_edit(confirm)
    assert "Fee item #3 Elevator fee added" in added["text"]
    await fees_bot.ctx.scheduler.run_now("fees.bills")
    bill = await session.scalar(select(Bill).where(Bill.unit_id == world.unit.id))
    assert bill.total_minor == 46558 + 3000
