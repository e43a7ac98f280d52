"""Fees work that happens outside an update: the outbox worker, bill generation,
late fees, reminders and the six-monthly statements.

Every job asks the database what is due and records what it did, so a restart
loses nothing and a second run does nothing twice (see core.scheduler).
"""

from __future__ import annotations

import asyncio
import gettext
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bot.context import AppContext
from bot.logs import log_context
from bot.sender import deliver
from core.db import transaction
from core.fees import outbox
from core.fees.billing import apply_late_fees, generate_bills, has_run
from core.fees.common import FeeError, Period, fees_config, in_quiet_hours, local_today
from core.fees.models import Bill, BillStatus, FeeItem, FeeReminder
from core.fees.payments import (
    PAYLOAD_PREFIX,
    RECEIPT,
    STAFF_ALERT,
    InvoiceDraft,
    create_invoice,
    record_successful_payment,
    unit_payers,
)
from core.fees.receipts import load_receipt, render_receipt
from core.fees.spool import PaymentSpool, SpooledPayment
from core.formatting import fmt_date, fmt_money
from core.identity import unit_label
from core.models import Community, Person

log = logging.getLogger(__name__)

STATEMENT = "statement"
EXTRAS_KEY = "fees"
# Bills are generated on the first day of the period; the job catches up on a
# missed day (the bot was down) during the first week only.
GENERATE_WITHIN_DAYS = 7


@dataclass
class FeesRuntime:
    """Per-process helpers of the fees area (kept in ``AppContext.extras``)."""

    # Deliver a receipt right after the payment commits (the outbox job is the
    # safety net). Tests switch it off to simulate a crash before delivery.
    deliver_inline: bool = True
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    # Rendered statements per (statement id, locale) and their Telegram file ids,
    # so a statement sent to 2,000 residents is rendered and uploaded once.
    statement_cache: dict[tuple[int, str], Any] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def runtime(ctx: AppContext) -> FeesRuntime:
    found = ctx.extras.get(EXTRAS_KEY)
    if not isinstance(found, FeesRuntime):
        found = FeesRuntime()
        ctx.extras[EXTRAS_KEY] = found
    return found


def translations(ctx: AppContext, locale: str) -> gettext.NullTranslations:
    found = ctx.i18n.locales.get(locale)
    return found if found is not None else gettext.NullTranslations()


def locale_for(ctx: AppContext, person: Person | None, community: Community | None) -> str:
    if person is not None and person.locale:
        return person.locale
    if community is not None and community.locale:
        return community.locale
    return ctx.settings.default_locale


def provider_token(ctx: AppContext) -> str | None:
    """The payments provider token from settings (None when paying in chat is off)."""
    token = ctx.settings.payments_provider_token
    if token is None:
        return None
    value = token.get_secret_value() if hasattr(token, "get_secret_value") else str(token)
    return value.strip() or None


def payments_enabled(ctx: AppContext) -> bool:
    return provider_token(ctx) is not None


# --- invoices -----------------------------------------------------------------------


def invoice_title(label: str) -> str:
    return _("Fees · {unit}").format(unit=label)[:32]


async def send_fee_invoice(
    ctx: AppContext,
    chat_id: int,
    draft: InvoiceDraft,
    *,
    community: Community,
    label: str,
    description: str,
    title: str | None = None,
) -> Any:
    """``sendInvoice`` for an invoice draft, one price line per bill (in the current locale)."""
    assert ctx.bot is not None
    token = provider_token(ctx)
    assert token is not None
    prices = [
        LabeledPrice(
            label=_("Fees {period}").format(period=b.period)[:64], amount=b.outstanding_minor
        )
        for b in draft.bills
    ]
    total = fmt_money(draft.invoice.amount_minor, community.currency, _locale_now(ctx))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Pay {amount}").format(amount=total), pay=True)],
            [InlineKeyboardButton(text=_("My bills"), callback_data="menu:fees")],
        ]
    )
    return await ctx.bot.send_invoice(
        chat_id=chat_id,
        title=title or invoice_title(label),
        description=description[:255],
        payload=draft.payload,
        provider_token=token,
        currency=draft.invoice.currency,
        prices=prices,
        start_parameter="fees",
        reply_markup=keyboard,
    )


def _locale_now(ctx: AppContext) -> str:
    return ctx.i18n.current_locale or ctx.settings.default_locale


# --- the outbox worker -----------------------------------------------------------------


def kick_outbox(ctx: AppContext, ids: Iterable[int] = ()) -> None:
    """Deliver these outbox items now, in the background (the job retries failures)."""
    rt = runtime(ctx)
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
            from handlers.fees_statements import send_statement

            ok, reason = await send_statement(ctx, item)
        else:
            log.error("unknown outbox kind")
            ok, reason = False, "unknown_kind"
    except TelegramRetryAfter as exc:
        await outbox.mark_failed(
            ctx.session_factory,
            item.id,
            now=ctx.clock.now(),
            error=f"retry after {exc.retry_after}s",
            permanent=False,
            attempts=item.attempts,
        )
        return 0
    except Exception as exc:  # any failure: keep the message pending and retry later
        if isinstance(exc, TelegramAPIError | OSError | asyncio.TimeoutError):
            log.warning("outbox delivery failed, will retry", extra={"fields": {"error": str(exc)}})
        else:
            log.exception("outbox delivery crashed, will retry")
        await outbox.mark_failed(
            ctx.session_factory,
            item.id,
            now=ctx.clock.now(),
            error=str(exc),
            permanent=False,
            attempts=item.attempts,
        )
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


async def _send_receipt(ctx: AppContext, item: outbox.OutboxItem) -> tuple[bool, str | None]:
    assert ctx.bot is not None
    async with ctx.session_factory() as session:
        data = await load_receipt(session, int(item.payload["payment_id"]))
        person = await session.get(Person, item.person_id) if item.person_id else None
        community = await session.get(Community, item.community_id)
    if data is None:
        log.error("receipt for a payment that does not exist")
        return False, "no_payment"
    locale = locale_for(ctx, person, community)
    doc = render_receipt(data, locale=locale, translations=translations(ctx, locale))
    step = item.step
    if step < 1:
        sent = await deliver(ctx.bot.send_message(item.chat_id, doc.text))
        if not sent.ok:
            return False, sent.reason
        step = 1
        await outbox.mark_step(ctx.session_factory, item.id, step)
    if step < 2:
        pdf = await asyncio.to_thread(doc.pdf)
        if pdf is not None:
            sent = await deliver(
                ctx.bot.send_document(item.chat_id, BufferedInputFile(pdf, filename=doc.filename))
            )
            if not sent.ok:
                return False, sent.reason
        await outbox.mark_step(ctx.session_factory, item.id, 2)
    return True, None


async def _send_staff_alert(ctx: AppContext, item: outbox.OutboxItem) -> tuple[bool, str | None]:
    assert ctx.bot is not None
    async with ctx.session_factory() as session:
        community = await session.get(Community, item.community_id)
    if community is None or community.admin_chat_id is None:
        return False, "no_admin_group"
    payload = item.payload
    with ctx.i18n.use_locale(locale_for(ctx, None, community)):
        if payload.get("alert") == "overpaid":
            text = _(
                "⚠️ Payment #{payment} was {amount} more than was due: a bill it was for "
                "had been paid meanwhile. Please refund the difference and record it with "
                "/refund {payment} AMOUNT REASON."
            ).format(
                payment=payload["payment_id"],
                amount=fmt_money(
                    int(payload["surplus_minor"]), community.currency, _locale_now(ctx)
                ),
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
        sent = await deliver(ctx.bot.send_message(community.admin_chat_id, text))
    return sent.ok, sent.reason


async def _alert_undeliverable(ctx: AppContext, item: outbox.OutboxItem, reason: str) -> None:
    """A resident cannot be reached (blocked bot …): staff must hand over a receipt."""
    async with transaction(ctx.session_factory) as session:
        community = await session.get(Community, item.community_id)
        person = await session.get(Person, item.person_id) if item.person_id else None
        if community is None or community.admin_chat_id is None:
            return
        queued = await outbox.enqueue(
            session,
            kind=STAFF_ALERT,
            community_id=community.id,
            chat_id=community.admin_chat_id,
            dedupe_key=f"undelivered:{item.id}",
            payload={
                "alert": "receipt_undelivered",
                "payment_id": item.payload.get("payment_id"),
                "name": person.full_name if person else "",
                "reason": reason,
            },
            now=ctx.clock.now(),
        )
    if queued is not None:
        kick_outbox(ctx, [queued])


# --- bills and late fees -----------------------------------------------------------------


async def generate_due_bills(ctx: AppContext) -> int:
    """On the first day of a period (community time), generate its bills once;
    apply late fees to overdue bills."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        communities = (
            await session.scalars(
                select(Community).where(
                    Community.id.in_(select(FeeItem.community_id).where(FeeItem.active))
                )
            )
        ).all()
    created = 0
    for community in communities:
        today = local_today(community, now)
        period = Period.of(today)
        async with transaction(ctx.session_factory) as session:
            # Only early in the period: a schedule set up mid-month starts with the
            # next period (staff can still run /bills_generate for this one).
            due = today.day <= GENERATE_WITHIN_DAYS
            if due and not await has_run(session, community.id, period):
                result = await generate_bills(
                    session, community, period, now=now, trigger="schedule"
                )
                created += result.created
                log.info(
                    "bills generated",
                    extra={
                        "fields": {
                            "community": community.id,
                            "period": str(period),
                            "created": result.created,
                        }
                    },
                )
            await apply_late_fees(session, community, now=now)
    return created


# --- reminders ------------------------------------------------------------------------


async def send_reminders(ctx: AppContext) -> int:
    """Remind owners and tenants of unpaid bills: before the due day and when overdue,
    at most once per bill every N days, never in the community's quiet hours."""
    if ctx.bot is None:
        return 0
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        communities = (
            await session.scalars(
                select(Community).where(
                    Community.id.in_(
                        select(Bill.community_id).where(Bill.status == BillStatus.OPEN)
                    )
                )
            )
        ).all()
    sent = 0
    for community in communities:
        if in_quiet_hours(community, now):
            continue
        sent += await _remind_community(ctx, community, now)
    return sent


async def _remind_community(ctx: AppContext, community: Community, now: datetime) -> int:
    cfg = fees_config(community)
    today = local_today(community, now)
    horizon = today + timedelta(days=int(cfg["remind_before_days"]))
    quiet_since = now - timedelta(days=int(cfg["reminder_every_days"]))
    async with ctx.session_factory() as session:
        last = (
            select(FeeReminder.bill_id, func.max(FeeReminder.sent_at).label("last"))
            .group_by(FeeReminder.bill_id)
            .subquery()
        )
        bills = (
            await session.scalars(
                select(Bill)
                .outerjoin(last, last.c.bill_id == Bill.id)
                .where(
                    Bill.community_id == community.id,
                    Bill.status == BillStatus.OPEN,
                    Bill.due_date <= horizon,
                    (last.c.last.is_(None)) | (last.c.last < quiet_since),
                )
                .order_by(Bill.unit_id, Bill.period)
            )
        ).all()
    by_unit: dict[int, list[Bill]] = defaultdict(list)
    for bill in bills:
        if bill.outstanding_minor > 0:
            by_unit[bill.unit_id].append(bill)
    reminded = 0
    for unit_id, unit_bills in by_unit.items():
        reminded += await _remind_unit(ctx, community, unit_id, unit_bills, today, now)
    return reminded


async def _remind_unit(
    ctx: AppContext,
    community: Community,
    unit_id: int,
    bills: list[Bill],
    today: date,
    now: datetime,
) -> int:
    bot = ctx.bot
    assert bot is not None  # send_reminders returns early without one
    async with ctx.session_factory() as session:
        people = await unit_payers(session, unit_id, today)
        label = await unit_label(session, unit_id)
    overdue = any(b.due_date < today for b in bills)
    delivered = 0
    for person in people:
        assert person.telegram_id is not None
        async with transaction(ctx.session_factory) as session:
            # Every open bill of the unit, so one tap settles everything due.
            draft = await create_invoice(
                session, unit_id=unit_id, person_id=person.id, now=now, purpose="reminder"
            )
        locale = locale_for(ctx, person, community)
        with ctx.i18n.use_locale(locale):
            periods = ", ".join(b.period for b in draft.bills)
            amount = fmt_money(draft.invoice.amount_minor, community.currency, locale)
            due = fmt_date(min(b.due_date for b in draft.bills), locale)
            if not payments_enabled(ctx):
                # Paying in chat is not set up: remind in words, pay at the office.
                text = (
                    _(
                        "Reminder from {community}: {periods} for {unit}, {amount}, was due "
                        "on {date} and is overdue. Please pay at the property office."
                    )
                    if overdue
                    else _(
                        "Reminder from {community}: {periods} for {unit}, {amount}, is due "
                        "on {date}. Please pay at the property office."
                    )
                ).format(
                    community=community.name, unit=label, periods=periods, amount=amount, date=due
                )
                result = await deliver(
                    bot.send_message(
                        person.telegram_id,
                        text,
                        reply_markup=InlineKeyboardMarkup(
                            inline_keyboard=[
                                [
                                    InlineKeyboardButton(
                                        text=_("My bills"), callback_data="menu:fees"
                                    )
                                ]
                            ]
                        ),
                    )
                )
                delivered += result.ok
                continue
            if overdue:
                description = _(
                    "{community} {unit}: {periods}, {amount}, was due on {date} and is "
                    "overdue. Tap Pay to settle it now."
                )
            else:
                description = _(
                    "{community} {unit}: {periods}, {amount}, is due on {date}. "
                    "Tap Pay to settle it now."
                )
            description = description.format(
                community=community.name, unit=label, periods=periods, amount=amount, date=due
            )
            result = await deliver(
                send_fee_invoice(
                    ctx,
                    person.telegram_id,
                    draft,
                    community=community,
                    label=label,
                    description=description,
                    title=_("Fee reminder · {unit}").format(unit=label)[:32],
                )
            )
        delivered += result.ok
    async with transaction(ctx.session_factory) as session:
        for bill in bills:
            session.add(
                FeeReminder(
                    bill_id=bill.id,
                    kind="overdue" if bill.due_date < today else "before_due",
                    recipients=len(people),
                    delivered=delivered,
                    sent_at=now,
                )
            )
    return delivered


# --- payments the database could not take (core.fees.spool) ---------------------------


def is_fee_payment(message: Message) -> bool:
    """A ``successful_payment`` for one of our fee invoices."""
    paid = message.successful_payment
    return paid is not None and paid.invoice_payload.startswith(PAYLOAD_PREFIX + ":")


async def spool_failed_payment(ctx: AppContext, message: Message, locale: str) -> bool:
    """Keep a payment whose update failed (the database was down) until it can be
    recorded; False if even that failed (then every detail is in the log)."""
    paid = message.successful_payment
    assert paid is not None
    details = {
        "payload": paid.invoice_payload,
        "charge": paid.telegram_payment_charge_id,
        "amount": paid.total_amount,
        "currency": paid.currency,
        "chat_id": message.chat.id,
    }
    record = SpooledPayment(
        payload=paid.invoice_payload,
        currency=paid.currency,
        total_amount=paid.total_amount,
        telegram_payment_charge_id=paid.telegram_payment_charge_id,
        provider_payment_charge_id=paid.provider_payment_charge_id,
        payer_telegram_id=message.from_user.id if message.from_user else None,
        chat_id=message.chat.id,
        received_at=ctx.clock.now(),
        locale=locale,
    )
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
        try:
            async with transaction(ctx.session_factory) as session:
                payer_id = None
                if item.payer_telegram_id is not None:
                    payer_id = await session.scalar(
                        select(Person.id).where(Person.telegram_id == item.payer_telegram_id)
                    )
                result = await record_successful_payment(
                    session,
                    payload=item.payload,
                    currency=item.currency,
                    total_amount=item.total_amount,
                    telegram_payment_charge_id=item.telegram_payment_charge_id,
                    provider_payment_charge_id=item.provider_payment_charge_id,
                    payer_person_id=payer_id,
                    chat_id=item.chat_id,
                    now=item.received_at,
                )
        except FeeError:
            # Not one of our invoices after all: the payer hears what the live path
            # would have told them, and the log keeps every detail.
            log.error("spooled payment for an unknown invoice", extra={"fields": fields})
            await _tell_unmatched(ctx, item)
        except DBAPIError:
            log.warning("spooled payments still wait for the database", extra={"fields": fields})
            break
        except Exception:
            # Not the database: a bug. Keep the payment on disk, and let the others
            # behind it through.
            log.exception("spooled payment could not be recorded", extra={"fields": fields})
            continue
        else:
            if result.created:
                kick_outbox(ctx, result.outbox_ids)
            log.info("spooled payment recorded", extra={"fields": fields})
        await asyncio.to_thread(spool.remove, path)
        done += 1
    return done


async def _tell_unmatched(ctx: AppContext, item: SpooledPayment) -> None:
    assert ctx.bot is not None
    with ctx.i18n.use_locale(item.locale or ctx.settings.default_locale):
        text = _(
            "We received your payment but could not match it to a bill. Please show "
            "this message to the property office: {charge}"
        ).format(charge=item.telegram_payment_charge_id)
    await deliver(ctx.bot.send_message(item.chat_id, text))


def register_fee_jobs(ctx: AppContext, scheduler: Any) -> None:
    """Bill generation and late fees, the receipt outbox, reminders, statements."""
    from handlers.fees_statements import publish_due_statements

    runtime(ctx)
    scheduler.add_periodic("fees.bills", lambda: generate_due_bills(ctx), 900)
    scheduler.add_periodic("fees.outbox", lambda: deliver_outbox(ctx), 20)
    scheduler.add_periodic("fees.spool", lambda: record_spooled_payments(ctx), 15)
    scheduler.add_periodic("fees.reminders", lambda: send_reminders(ctx), 600)
    scheduler.add_periodic("fees.statements", lambda: publish_due_statements(ctx), 1800)
