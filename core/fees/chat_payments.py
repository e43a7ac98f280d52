"""Payments in chat, as the bot's payment updates call them.

:func:`approve_checkout` answers a pre-checkout (checks, then holds, nothing kept
on refusal); :func:`record_spooled_payment` records a payment that waited in the
spool (core.fees.spool) because the database could not take it at the time.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.fees.common import FeeError
from core.fees.ledger import PaymentResult
from core.fees.payments import (
    Checkout,
    CheckoutRefused,
    check_checkout,
    hold_checkout,
    record_successful_payment,
)
from core.fees.spool import SpooledPayment
from core.models import Person

log = logging.getLogger(__name__)


async def approve_checkout(
    session: AsyncSession, *, payload: str, currency: str, total_amount: int, now: datetime
) -> Checkout:
    """Approve a checkout or raise :class:`CheckoutRefused`. On a refusal after
    some holds were taken the transaction is rolled back, so none of them stays:
    the pre-checkout does nothing else. On approval the caller commits before
    answering Telegram."""
    checkout = await check_checkout(
        session, payload=payload, currency=currency, total_amount=total_amount, now=now
    )
    try:
        await hold_checkout(session, checkout, now=now)
    except CheckoutRefused:
        await session.rollback()
        raise
    return checkout


async def record_reported_payment(
    session: AsyncSession, report: SpooledPayment, *, payer_person_id: int | None
) -> PaymentResult:
    """Record a payment Telegram reported (live or from the spool), exactly once:
    the charge id is unique in the ledger. ``FeeError`` when no invoice of ours
    explains it."""
    return await record_successful_payment(
        session,
        payload=report.payload,
        currency=report.currency,
        total_amount=report.total_amount,
        telegram_payment_charge_id=report.telegram_payment_charge_id,
        provider_payment_charge_id=report.provider_payment_charge_id,
        payer_person_id=payer_person_id,
        chat_id=report.chat_id,
        now=report.received_at,
    )


class Spooled(enum.Enum):
    """What became of one spooled payment."""

    RECORDED = "recorded"  # in the ledger (now or earlier): remove it from the spool
    UNMATCHED = "unmatched"  # not for one of our invoices: tell the payer, remove it
    DATABASE_DOWN = "database_down"  # still no database: keep it and those behind it
    FAILED = "failed"  # anything else (a bug, logged): keep it, try the next one


@dataclass(frozen=True)
class SpoolAttempt:
    outcome: Spooled
    outbox_ids: tuple[int, ...] = ()  # receipts to deliver now (a new payment)
    result: Any = None  # what another area's recorder returned


# Another area's payments in the same spool (temporary parking): records a report in
# the given session, exactly once by its charge id; FeeError when it is not ours.
Recorder = Callable[[AsyncSession, SpooledPayment, int | None], Awaitable[Any]]


async def record_spooled_payment(
    session_factory: async_sessionmaker[AsyncSession],
    item: SpooledPayment,
    recorder: Recorder | None = None,
) -> SpoolAttempt:
    """Record a spooled payment, in its own transaction, as the live update would
    have (exactly once: the charge id is unique in the ledger) — a fee payment, or
    with ``recorder`` another area's."""
    try:
        async with transaction(session_factory) as session:
            payer_id = None
            if item.payer_telegram_id is not None:
                payer_id = await session.scalar(
                    select(Person.id).where(Person.telegram_id == item.payer_telegram_id)
                )
            if recorder is not None:
                other = await recorder(session, item, payer_id)
            else:
                result = await record_reported_payment(session, item, payer_person_id=payer_id)
    except FeeError:
        return SpoolAttempt(Spooled.UNMATCHED)
    except DBAPIError:
        return SpoolAttempt(Spooled.DATABASE_DOWN)
    except Exception:
        log.exception(
            "spooled payment could not be recorded",
            extra={
                "fields": {"charge": item.telegram_payment_charge_id, "amount": item.total_amount}
            },
        )
        return SpoolAttempt(Spooled.FAILED)
    if recorder is not None:
        return SpoolAttempt(Spooled.RECORDED, result=other)
    return SpoolAttempt(Spooled.RECORDED, tuple(result.outbox_ids) if result.created else ())
