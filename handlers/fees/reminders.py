"""Reminding owners and tenants of unpaid bills.

Steps (a job every few minutes, per community outside its quiet hours):
1. the open bills due within the community's reminder horizon, or overdue, whose
   last reminder is older than its interval, by home (core.fees.scheduled);
2. to each owner and tenant of the home, in their language: an invoice for
   everything due with a Pay button — or, when paying in chat is off, a message
   asking them to pay at the office;
3. the reminder is recorded per bill with how many people it reached (/overdue
   shows staff the homes no reminder reached).
Each person's reminder is claimed (core.sends) before it is sent, and the round is
recorded once: two runs, or a run after a crash, never remind anyone twice.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.lists import format_list

from bot.context import AppContext
from bot.sender import deliver
from core.db import transaction
from core.fees.common import in_quiet_hours, local_today
from core.fees.models import Bill
from core.fees.payments import InvoiceDraft, create_invoice
from core.fees.scheduled import bills_to_remind, communities_with_open_bills, record_reminders
from core.fees.tenure import payers_since, their_bills
from core.formatting import babel_locale, fmt_date, fmt_money
from core.identity import unit_label
from core.models import Community, Person
from core.sends import claim, send_once, was_delivered
from handlers.fees.invoices import (
    my_bills_button,
    payments_enabled,
    reminder_title,
    send_fee_invoice,
)
from handlers.fees.texts import locale_for


async def send_reminders(ctx: AppContext) -> int:
    """Remind owners and tenants of unpaid bills: before the due day and when overdue,
    at most once per bill every N days, never in the community's quiet hours."""
    if ctx.bot is None:
        return 0
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        communities = await communities_with_open_bills(session)
    sent = 0
    for community in communities:
        if in_quiet_hours(community, now):
            continue
        async with ctx.session_factory() as session:
            by_unit = await bills_to_remind(session, community, now=now)
        today = local_today(community, now)
        for unit_id, bills in by_unit.items():
            sent += await _remind_unit(ctx, community, unit_id, bills, today, now)
    return sent


async def _remind_unit(
    ctx: AppContext,
    community: Community,
    unit_id: int,
    bills: list[Bill],
    today: date,
    now: datetime,
) -> int:
    async with ctx.session_factory() as session:
        payers = await payers_since(session, unit_id, today)
        label = await unit_label(session, unit_id)
    # A bill is reminded to whoever lived there in its period (core.fees.tenure).
    people = [(p, since) for p, since in payers if their_bills(bills, since)]
    # This round of the unit's reminders: each person's is claimed before it is sent
    # (core.sends), so a second run or process, or a run after a crash, sends none twice.
    round_key = reminder_round(today, unit_id, bills)
    recipients: dict[int, int] = {b.id: 0 for b in bills}
    reached: dict[int, int] = {b.id: 0 for b in bills}
    delivered = 0
    for person, since in people:
        theirs = their_bills(bills, since)
        overdue = any(b.due_date < today for b in theirs)

        async def remind(
            person: Person = person, since: str | None = since, overdue: bool = overdue
        ) -> int:
            async with transaction(ctx.session_factory) as session:
                # Every open bill of the unit from their time on, so one tap settles it.
                draft = await create_invoice(
                    session,
                    unit_id=unit_id,
                    person_id=person.id,
                    now=now,
                    purpose="reminder",
                    since=since,
                )
            locale = locale_for(ctx, person, community)
            with ctx.i18n.use_locale(locale):
                return await _remind_person(
                    ctx, person, community, draft, label=label, overdue=overdue, locale=locale
                )

        key = f"{round_key}{person.id}"
        claimed, result = await send_once(ctx.session_factory, key, now, remind)
        if claimed:
            ok = result or 0
            delivered += ok
        else:  # reminded by an earlier run of this round: counted as that run found it
            async with ctx.session_factory() as session:
                ok = int(await was_delivered(session, key))
        for bill in theirs:
            recipients[bill.id] += 1
            reached[bill.id] += ok
    async with transaction(ctx.session_factory) as session:
        # Recorded once per round, by the first run to finish it. Bills with the same
        # counts are recorded together (a bill nobody there now lived there for is
        # recorded as reaching nobody: /overdue shows it to staff).
        if await claim(session, f"{round_key}recorded", now):
            groups: dict[tuple[int, int], list[Bill]] = {}
            for bill in bills:
                groups.setdefault((recipients[bill.id], reached[bill.id]), []).append(bill)
            for (count, ok_count), group in groups.items():
                await record_reminders(
                    session, group, today=today, recipients=count, delivered=ok_count, now=now
                )
    return delivered


def reminder_round(today: date, unit_id: int, bills: list[Bill]) -> str:
    """The claim keys' prefix of one unit's reminders for these bills on this day."""
    ids = ",".join(str(b.id) for b in sorted(bills, key=lambda b: b.id))
    digest = hashlib.sha256(ids.encode()).hexdigest()[:12]
    return f"fees.reminder:{today.isoformat()}:{unit_id}:{digest}:"


async def _remind_person(
    ctx: AppContext,
    person: Person,
    community: Community,
    draft: InvoiceDraft,
    *,
    label: str,
    overdue: bool,
    locale: str,
) -> int:
    """One reminder in the person's language; 1 when it was delivered."""
    bot = ctx.bot
    assert bot is not None  # send_reminders returns early without one
    assert person.telegram_id is not None
    facts = {
        "community": community.name,
        "unit": label,
        # "2026-11 and 2026-12" / "2026-11和2026-12": the reader's own list words.
        "periods": format_list([b.period for b in draft.bills], locale=babel_locale(locale)),
        "amount": fmt_money(draft.invoice.amount_minor, community.currency, locale),
        "date": fmt_date(min(b.due_date for b in draft.bills), locale),
    }
    if not payments_enabled(ctx):
        # Paying in chat is not set up: remind in words, pay at the office.
        text = (
            _(
                "Reminder from {community}: {amount} for {unit} ({periods}) was due "
                "on {date} and is now overdue. Please pay at the property office."
            )
            if overdue
            else _(
                "Reminder from {community}: {amount} for {unit} ({periods}) is due "
                "on {date}. Please pay at the property office."
            )
        ).format(**facts)
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[my_bills_button()]])
        result = await deliver(bot.send_message(person.telegram_id, text, reply_markup=keyboard))
        return int(result.ok)
    if overdue:
        description = _(
            "{community}, {unit}: {amount} for {periods} was due on {date} and is "
            "now overdue. Tap Pay to settle it now."
        )
    else:
        description = _(
            "{community}, {unit}: {amount} for {periods} is due on {date}. "
            "Tap Pay to settle it now."
        )
    result = await deliver(
        send_fee_invoice(
            ctx,
            person.telegram_id,
            draft,
            community=community,
            label=label,
            description=description.format(**facts),
            title=reminder_title(label),
        )
    )
    return int(result.ok)
