"""Payments, checkouts, refunds and adjustments against the real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.fees.common import FeeError
from core.fees.ledger import adjust_bill, record_offline_payment, refund_payment
from core.fees.models import (
    Bill,
    BillStatus,
    FeeOutbox,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
from core.fees.payments import (
    CheckoutRefused,
    create_invoice,
    record_successful_payment,
    validate_checkout,
)
from core.models import AuditEntry
from tests.factories import make_resident, make_staff
from tests.fees.helpers import NOW, billed_world


async def _bill(session, unit_id: int) -> Bill:
    return await session.scalar(
        select(Bill).where(Bill.unit_id == unit_id).execution_options(populate_existing=True)
    )


async def _pay(session_factory, draft, charge: str, chat_id: int = 555):
    async with session_factory() as s:
        result = await record_successful_payment(
            s,
            payload=draft.payload,
            currency=draft.invoice.currency,
            total_amount=draft.invoice.amount_minor,
            telegram_payment_charge_id=charge,
            provider_payment_charge_id=f"prov-{charge}",
            payer_person_id=None,
            chat_id=chat_id,
            now=NOW,
        )
        await s.commit()
        return result


async def test_checkout_then_payment_once(session, session_factory) -> None:
    world = await billed_world(session)
    unit = world.units[0]
    draft = await create_invoice(session, unit_id=unit.id, person_id=None, now=NOW)
    await session.commit()
    assert draft.invoice.amount_minor == 16558 + 30000
    assert len(draft.payload) <= 128
    async with session_factory() as s:
        await validate_checkout(
            s, payload=draft.payload, currency="CNY", total_amount=46558, now=NOW
        )
        await s.commit()
    first = await _pay(session_factory, draft, "tg-1")
    again = await _pay(session_factory, draft, "tg-1")
    assert first.created and not again.created and again.payment.id == first.payment.id
    bill = await _bill(session, unit.id)
    assert bill.status == BillStatus.PAID and bill.paid_minor == 46558
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    assert await session.scalar(select(func.count()).select_from(FeeOutbox)) == 1


async def test_concurrent_duplicates_record_once(session, session_factory) -> None:
    world = await billed_world(session)
    draft = await create_invoice(session, unit_id=world.units[1].id, person_id=None, now=NOW)
    await session.commit()
    results = await asyncio.gather(*(_pay(session_factory, draft, "tg-dup") for _ in range(5)))
    assert sum(r.created for r in results) == 1
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    assert await session.scalar(select(func.count()).select_from(PaymentAllocation)) == 1
    assert await session.scalar(select(func.count()).select_from(FeeOutbox)) == 1


async def test_checkout_refused_when_paid_meanwhile(session, session_factory) -> None:
    world = await billed_world(session)
    unit = world.units[0]
    owner_invoice = await create_invoice(session, unit_id=unit.id, person_id=None, now=NOW)
    tenant_invoice = await create_invoice(session, unit_id=unit.id, person_id=None, now=NOW)
    await session.commit()
    await _pay(session_factory, owner_invoice, "tg-owner")
    async with session_factory() as s:
        with pytest.raises(CheckoutRefused) as refused:
            await validate_checkout(
                s,
                payload=tenant_invoice.payload,
                currency="CNY",
                total_amount=tenant_invoice.invoice.amount_minor,
                now=NOW,
            )
    assert refused.value.code == "already_paid"


async def test_checkout_hold_blocks_a_second_invoice(session, session_factory) -> None:
    world = await billed_world(session)
    unit = world.units[0]
    a = await create_invoice(session, unit_id=unit.id, person_id=None, now=NOW)
    b = await create_invoice(session, unit_id=unit.id, person_id=None, now=NOW)
    await session.commit()
    amount = a.invoice.amount_minor
    async with session_factory() as s:
        await validate_checkout(s, payload=a.payload, currency="CNY", total_amount=amount, now=NOW)
        await s.commit()
    async with session_factory() as s:
        with pytest.raises(CheckoutRefused) as refused:
            await validate_checkout(
                s, payload=b.payload, currency="CNY", total_amount=amount, now=NOW
            )
        assert refused.value.code == "in_progress"
        # The same invoice may be checked again (the resident retried).
        await validate_checkout(s, payload=a.payload, currency="CNY", total_amount=amount, now=NOW)
        await s.rollback()
    later = NOW + timedelta(minutes=11)
    async with session_factory() as s:
        await validate_checkout(
            s, payload=b.payload, currency="CNY", total_amount=amount, now=later
        )


async def test_checkout_refuses_forged_and_changed(session, session_factory) -> None:
    world = await billed_world(session)
    draft = await create_invoice(session, unit_id=world.units[0].id, person_id=None, now=NOW)
    await session.commit()
    cases = [
        ("fees:999:abc", 46558, "unknown_invoice"),
        (draft.payload + "x", 46558, "unknown_invoice"),
        ("garbage", 46558, "unknown_invoice"),
        (draft.payload, 46557, "amount_changed"),
    ]
    for payload, amount, code in cases:
        async with session_factory() as s:
            with pytest.raises(CheckoutRefused) as refused:
                await validate_checkout(
                    s, payload=payload, currency="CNY", total_amount=amount, now=NOW
                )
            assert refused.value.code == code


async def test_adjustment_changes_due_and_stale_invoice_is_refused(
    session, session_factory
) -> None:
    world = await billed_world(session)
    unit = world.units[1]
    manager, _ = await make_staff(session, world.community)
    draft = await create_invoice(session, unit_id=unit.id, person_id=None, now=NOW)
    bill = await _bill(session, unit.id)
    await adjust_bill(
        session,
        world.community,
        bill_id=bill.id,
        amount_minor=-558,
        reason="物业费优惠",
        actor_person_id=manager.id,
        actor_telegram_id=manager.telegram_id,
        now=NOW,
    )
    await session.commit()
    bill = await _bill(session, unit.id)
    assert bill.amount_due_minor == 16000 and bill.total_minor == 16558
    async with session_factory() as s:
        with pytest.raises(CheckoutRefused) as refused:
            await validate_checkout(
                s, payload=draft.payload, currency="CNY", total_amount=16558, now=NOW
            )
        assert refused.value.code == "amount_changed"
    audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "fees.adjust"))
    assert audit.actor_person_id == manager.id and audit.details["reason"] == "物业费优惠"


async def test_offline_payment_refund_and_append_only(session) -> None:
    world = await billed_world(session)
    unit = world.units[0]
    await make_resident(session, unit, telegram_id=7001)
    accountant, _ = await make_staff(session, world.community, name="张会计")
    with pytest.raises(FeeError) as err:
        await record_offline_payment(
            session,
            world.community,
            unit_id=unit.id,
            method=PaymentMethod.CASH,
            amount_minor=10**7,
            note="现金",
            actor_person_id=accountant.id,
            actor_telegram_id=accountant.telegram_id,
            now=NOW,
        )
    assert err.value.code == "more_than_due"
    result = await record_offline_payment(
        session,
        world.community,
        unit_id=unit.id,
        method=PaymentMethod.BANK_TRANSFER,
        amount_minor=46558,
        note="银行转账 流水号 20261101",
        actor_person_id=accountant.id,
        actor_telegram_id=accountant.telegram_id,
        now=NOW,
    )
    await session.commit()
    assert (await _bill(session, unit.id)).status == BillStatus.PAID
    with pytest.raises(FeeError) as err:
        await refund_payment(
            session,
            world.community,
            payment_id=result.payment.id,
            amount_minor=50000,
            reason="多收",
            actor_person_id=accountant.id,
            actor_telegram_id=None,
            now=NOW,
        )
    assert err.value.code == "more_than_refundable"
    await refund_payment(
        session,
        world.community,
        payment_id=result.payment.id,
        amount_minor=30000,
        reason="车位本月未使用",
        actor_person_id=accountant.id,
        actor_telegram_id=None,
        now=NOW,
    )
    await session.commit()
    bill = await _bill(session, unit.id)
    assert bill.status == BillStatus.OPEN and bill.paid_minor == 16558
    assert bill.outstanding_minor == 30000
    actions = set(
        (await session.scalars(select(AuditEntry.action).where(AuditEntry.allowed))).all()
    )
    assert {"fees.payment_offline", "fees.refund"} <= actions
    # The ledger refuses edits in the database itself.
    for stmt in (
        update(Payment).values(amount_minor=1),
        text("DELETE FROM payment_allocations"),
        text("UPDATE refunds SET amount_minor = 0"),
    ):
        with pytest.raises((IntegrityError, DBAPIError)):
            await session.execute(stmt)
        await session.rollback()
