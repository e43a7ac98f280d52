"""Payments the database could not take when Telegram reported them.

Other areas' Telegram payments share the spool: :func:`spool_payments` registers
their payload prefix, how to record one and what to tell the payer after.

Steps:
1. the error handler (handlers.errors) finds a fee (or registered) ``successful_payment``
   among the failed updates (:func:`is_fee_payment`) and writes it to the spool on
   disk (:func:`spool_failed_payment`, core.fees.spool) — the money has moved and
   Telegram will not report it again;
2. a job records the spooled payments once the database answers (oldest first,
   exactly once: the charge id is unique in the ledger), delivers the receipts,
   and removes them from the spool; one that is not for our invoices is answered
   as the live update would have been.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram.types import Message

from bot.context import AppContext
from bot.sender import deliver
from core.fees.chat_payments import Recorder, Spooled, record_spooled_payment
from core.fees.payments import PAYLOAD_PREFIX
from core.fees.spool import PaymentSpool, SpooledPayment
from core.sends import send_once
from handlers.fees.checkout import reported_payment, unmatched_text
from handlers.fees.outbox import kick_outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpooledKind:
    record: Recorder
    # Tell the payer once it is recorded: (ctx, the spooled report, what record returned).
    recorded: Callable[[AppContext, SpooledPayment, Any], Awaitable[None]]


_KINDS: dict[str, SpooledKind] = {}


def spool_payments(prefix: str, kind: SpooledKind) -> None:
    """Payments with payload ``prefix:…`` use this spool too (at import time)."""
    _KINDS[prefix + ":"] = kind


def _kind(payload: str) -> SpooledKind | None:
    return next((k for p, k in _KINDS.items() if payload.startswith(p)), None)


def is_fee_payment(message: Message) -> bool:
    """A ``successful_payment`` for one of our fee invoices (or a registered kind)."""
    paid = message.successful_payment
    if paid is None:
        return False
    payload = paid.invoice_payload
    return payload.startswith(PAYLOAD_PREFIX + ":") or _kind(payload) is not None


async def spool_failed_payment(ctx: AppContext, message: Message, locale: str) -> bool:
    """Keep a payment whose update failed (the database was down) until it can be
    recorded; False if even that failed (then every detail is in the log)."""
    record = reported_payment(ctx, message, locale)
    details = {
        "payload": record.payload,
        "charge": record.telegram_payment_charge_id,
        "amount": record.total_amount,
        "currency": record.currency,
        "chat_id": record.chat_id,
    }
    try:
        await asyncio.to_thread(PaymentSpool(ctx.settings.spool_dir).put, record)
    except OSError:
        log.critical(
            "payment neither recorded nor spooled", exc_info=True, extra={"fields": details}
        )
        return False
    log.error("payment spooled until the database answers", extra={"fields": details})
    return True


async def record_spooled_payments(ctx: AppContext) -> int:
    """Record the spooled payments (oldest first); returns how many left the spool.

    Stops at the first database failure: the rest wait for the next run.
    """
    spool = PaymentSpool(ctx.settings.spool_dir)
    done = 0
    for path, item in await asyncio.to_thread(spool.pending):
        fields = {"charge": item.telegram_payment_charge_id, "amount": item.total_amount}
        kind = _kind(item.payload)
        attempt = await record_spooled_payment(
            ctx.session_factory, item, kind.record if kind else None
        )
        if attempt.outcome is Spooled.DATABASE_DOWN:
            log.warning("spooled payments still wait for the database", extra={"fields": fields})
            break
        if attempt.outcome is Spooled.FAILED:
            continue  # a bug (logged): the payment stays on disk, the others go through
        if attempt.outcome is Spooled.UNMATCHED:
            # Not one of our invoices after all: the payer hears what the live path
            # would have told them, and the log keeps every detail.
            log.error("spooled payment for an unknown invoice", extra={"fields": fields})
            await _tell_unmatched(ctx, item)
        elif kind is not None:
            await kind.recorded(ctx, item, attempt.result)
        else:
            kick_outbox(ctx, attempt.outbox_ids)
            log.info("spooled payment recorded", extra={"fields": fields})
        await asyncio.to_thread(spool.remove, path)
        done += 1
    return done


async def _tell_unmatched(ctx: AppContext, item: SpooledPayment) -> None:
    charge = item.telegram_payment_charge_id
    await tell_payer_once(
        ctx, item, f"fees.spool.unmatched:{charge}", lambda: unmatched_text(charge)
    )


async def tell_payer_once(
    ctx: AppContext, item: SpooledPayment, key: str, text: Callable[[], str]
) -> None:
    """Tell a spooled payment's payer ``text()`` in their language, once under ``key``."""
    assert ctx.bot is not None
    with ctx.i18n.use_locale(item.locale or ctx.settings.default_locale):
        message = text()
    bot = ctx.bot
    # Claimed first (core.sends): a spool on shared storage read by two processes,
    # or a run that died before removing the file, never tells the payer twice.
    await send_once(
        ctx.session_factory,
        key,
        ctx.clock.now(),
        lambda: deliver(bot.send_message(item.chat_id, message)),
        delivered=lambda result: result.ok,
    )
