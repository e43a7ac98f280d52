"""Delivering the fees outbox: receipts, statements and alerts to staff.

Steps (each queued message, core.fees.outbox):
1. claimed for a short lease, so two workers never send it at once;
2. sent part by part (a receipt: the text, then the PDF; a statement: text,
   chart, PDF), each part recorded as done so a restart resumes after it;
3. marked sent; a transient failure (Telegram, network) is retried with
   backoff; a resident who cannot be reached (blocked bot) fails for good, and
   for a receipt the admin group is alerted to hand one over in person.
A payment delivers its receipts right away (:func:`kick_outbox`); the periodic
job is the safety net.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.logs import log_context
from bot.sender import Delivery, deliver
from core.db import transaction
from core.fees import outbox
from core.fees.deliveries import alert_receipt_undelivered, recipient
from core.fees.payments import RECEIPT, STAFF_ALERT
from core.fees.receipts import load_receipt, render_receipt
from core.fees.statement_runs import STATEMENT
from core.formatting import fmt_money
from core.sends import send_once
from handlers.fees.parts import copy_note, send_parts, text_part
from handlers.fees.statements import send_statement
from handlers.fees.texts import locale_for, translations

log = logging.getLogger(__name__)


def kick_outbox(ctx: AppContext, ids: Iterable[int] = ()) -> None:
    """Deliver these outbox items now, in the background (the job retries failures)."""
    rt = ctx.fees
    wanted = list(ids)
    if not rt.deliver_inline or not wanted:
        return
    task = asyncio.create_task(deliver_outbox(ctx, ids=wanted))
    rt.tasks.add(task)
    task.add_done_callback(rt.tasks.discard)


async def deliver_outbox(ctx: AppContext, ids: list[int] | None = None) -> int:
    """Send what is due (or the given items); returns how many were completed."""
    now = ctx.clock.now()
    if ids is None:
        ids = await outbox.due_ids(ctx.session_factory, now=now)
    done = 0
    for item_id in ids:
        item = await outbox.claim(ctx.session_factory, item_id, now=ctx.clock.now())
        if item is None:
            continue
        with log_context(outbox=item.id, kind=item.kind):
            done += await _deliver_one(ctx, item)
    return done


async def _deliver_one(ctx: AppContext, item: outbox.OutboxItem) -> int:
    try:
        if item.kind == RECEIPT:
            ok, reason = await _send_receipt(ctx, item)
        elif item.kind == STAFF_ALERT:
            ok, reason = await _send_staff_alert(ctx, item)
        elif item.kind == STATEMENT:
            ok, reason = await send_statement(ctx, item)
        else:
            log.error("unknown outbox kind")
            ok, reason = False, "unknown_kind"
    except TelegramRetryAfter as exc:
        await _retry_later(ctx, item, f"retry after {exc.retry_after}s")
        return 0
    except Exception as exc:  # any failure: keep the message pending and retry later
        if isinstance(exc, TelegramAPIError | OSError | asyncio.TimeoutError):
            log.warning("outbox delivery failed, will retry", extra={"fields": {"error": str(exc)}})
        else:
            log.exception("outbox delivery crashed, will retry")
        await _retry_later(ctx, item, str(exc))
        return 0
    if ok:
        await outbox.mark_sent(ctx.session_factory, item.id, now=ctx.clock.now())
        return 1
    await outbox.mark_failed(
        ctx.session_factory,
        item.id,
        now=ctx.clock.now(),
        error=reason or "undeliverable",
        permanent=True,
        attempts=item.attempts,
    )
    if item.kind == RECEIPT:
        await _alert_undeliverable(ctx, item, reason or "")
    return 0


async def _retry_later(ctx: AppContext, item: outbox.OutboxItem, error: str) -> None:
    await outbox.mark_failed(
        ctx.session_factory,
        item.id,
        now=ctx.clock.now(),
        error=error,
        permanent=False,
        attempts=item.attempts,
    )


async def _send_receipt(ctx: AppContext, item: outbox.OutboxItem) -> tuple[bool, str | None]:
    assert ctx.bot is not None
    async with ctx.session_factory() as session:
        data = await load_receipt(session, int(item.payload["payment_id"]))
        to = await recipient(session, item.person_id, item.community_id)
    if data is None:
        log.error("receipt for a payment that does not exist")
        return False, "no_payment"
    locale = locale_for(ctx, to.person, to.community)
    doc = render_receipt(data, locale=locale, translations=translations(ctx, locale))
    bot = ctx.bot
    note = copy_note(ctx, locale)
    text = text_part(ctx, item.chat_id, doc.text, note)

    async def pdf(again: bool) -> Delivery | None:
        rendered = await asyncio.to_thread(doc.pdf)
        if rendered is None:
            return None
        file = BufferedInputFile(rendered, filename=doc.filename)
        return await deliver(bot.send_document(item.chat_id, file, caption=note if again else None))

    return await send_parts(ctx, item, [text, pdf])


async def _send_staff_alert(ctx: AppContext, item: outbox.OutboxItem) -> tuple[bool, str | None]:
    assert ctx.bot is not None
    async with ctx.session_factory() as session:
        community = (await recipient(session, None, item.community_id)).community
    if community is None or community.admin_chat_id is None:
        return False, "no_admin_group"
    payload = item.payload
    locale = locale_for(ctx, None, community)
    with ctx.i18n.use_locale(locale):
        if payload.get("alert") == "overpaid":
            text = _(
                "⚠️ Payment #{payment} was {amount} more than was due: a bill it was for "
                "had been paid meanwhile. Please refund the difference and record it with "
                "/refund {payment} AMOUNT REASON."
            ).format(
                payment=payload["payment_id"],
                amount=fmt_money(int(payload["surplus_minor"]), community.currency, locale),
            )
        elif payload.get("alert") == "receipt_undelivered":
            text = _(
                "⚠️ The receipt for payment #{payment} could not be delivered to {name} "
                "({reason}). Please hand them a receipt in person."
            ).format(
                payment=payload["payment_id"],
                name=payload.get("name") or "?",
                reason=payload.get("reason") or "?",
            )
        else:
            return False, "unknown_alert"
        bot, chat_id = ctx.bot, community.admin_chat_id
        claimed, sent = await send_once(
            ctx.session_factory,
            f"fees.outbox:{item.id}:1",
            ctx.clock.now(),
            lambda: deliver(bot.send_message(chat_id, text)),
            delivered=lambda result: bool(result and result.ok),
        )
    if not claimed or sent is None:
        return True, None  # claimed by a worker that died: never sent twice
    return sent.ok, sent.reason


async def _alert_undeliverable(ctx: AppContext, item: outbox.OutboxItem, reason: str) -> None:
    """A resident cannot be reached (blocked bot …): staff must hand over a receipt."""
    async with transaction(ctx.session_factory) as session:
        queued = await alert_receipt_undelivered(session, item, reason, now=ctx.clock.now())
    if queued is not None:
        kick_outbox(ctx, [queued])
