"""Bills, reports and the export in the admin group.

Steps (each command):
1. /bills_generate [YYYY-MM] — generate a period's missing bills (managers);
2. /report [PERIOD] [PERIOD] — the collection rate by building;
3. /overdue — the units with overdue bills, and whether reminders reached them;
4. /export [PERIOD] [PERIOD] — bills and payments as CSV (the last twelve months
   by default).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.fees.billing import generate_bills
from core.fees.common import FeeError, Period, local_today
from core.fees.reports import collection_by_building, export_csv, overdue_units
from core.fees.staff_input import export_range, period_range
from core.formatting import fmt_date
from core.identity import Identity
from core.models import Community
from handlers.fees.staff_views import actor
from handlers.fees.texts import current_locale, error_text, money_of
from handlers.kit import admin_router, group_command

router = admin_router("fees.reports")

group_command("report", __("Collection rate by building: [PERIOD] [PERIOD]"), order=47)
group_command("overdue", __("Units with overdue bills"), order=48)
group_command("export", __("Bills and payments as CSV: [PERIOD] [PERIOD]"), order=49)

OVERDUE_LISTED = 60  # the rest are in /export


async def _periods(
    message: Message,
    command: CommandObject,
    community: Community,
    app: AppContext,
    read: Callable[[str | None, date], tuple[Period, Period]] = period_range,
) -> tuple[Period, Period] | None:
    """The periods the command names (this one by default), or None after saying
    what is wrong with them."""
    try:
        return read(command.args, local_today(community, app.clock.now()))
    except FeeError as exc:
        await message.reply(error_text(exc))
        return None


@router.message(Command("bills_generate"), StateFilter("*"), flags={"staff": "fees.bills_generate"})
async def bills_generate(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    periods = await _periods(message, command, community, app)
    if periods is None:
        return
    period = periods[0]
    result = await generate_bills(
        session, community, period, now=app.clock.now(), trigger="staff", **actor(identity).kwargs()
    )
    await message.reply(
        _(
            "Bills for {period}: {created} created, {existing} already existed, "
            "{none} units without fees."
        ).format(
            period=period,
            created=result.created,
            existing=result.existing,
            none=result.without_fees,
        )
    )


@router.message(Command("report"), StateFilter("*"), flags={"staff": "fees.report"})
async def report(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    community: Community,
) -> None:
    periods = await _periods(message, command, community, app)
    if periods is None:
        return
    first, last = periods
    rows = await collection_by_building(session, community.id, first, last)
    money = money_of(community)
    lines = [_("<b>Collection rate, {first} – {last}</b>").format(first=first, last=last)]
    if not rows:
        lines.append(_("No bills in these periods."))
    for r in rows:
        lines.append(
            _(
                "{period} {building}: {rate} — {collected} of {due}, {paid}/{bills} bills paid"
            ).format(
                period=r.period,
                building=r.building,
                rate=f"{r.rate * 100:.1f}%",
                collected=money(r.collected_minor),
                due=money(r.due_minor),
                paid=r.paid,
                bills=r.bills,
            )
        )
    if rows:
        due = sum(r.due_minor for r in rows)
        collected = sum(r.collected_minor for r in rows)
        lines.append(
            _("<b>Total: {rate} — {collected} of {due}</b>").format(
                rate=f"{(collected / due * 100 if due else 0):.1f}%",
                collected=money(collected),
                due=money(due),
            )
        )
    await message.reply("\n".join(lines))


@router.message(Command("overdue"), StateFilter("*"), flags={"staff": "fees.overdue"})
async def overdue(
    message: Message, session: AsyncSession, app: AppContext, community: Community
) -> None:
    today = local_today(community, app.clock.now())
    units = await overdue_units(session, community.id, today, limit=OVERDUE_LISTED)
    if not units:
        await message.reply(_("No unit has an overdue bill. 🎉"))
        return
    money = money_of(community)
    lines = [_("<b>Overdue units ({count})</b>").format(count=len(units))]
    for u in units:
        reach = "" if u.reached or u.reminders == 0 else _(" ⚠️ reminders not delivered")
        lines.append(
            _("{unit}: {amount} ({periods}), {days} days overdue since {date}{reach}").format(
                unit=u.label,
                amount=money(u.outstanding_minor),
                periods=", ".join(u.periods),
                days=u.days_overdue,
                date=fmt_date(u.oldest_due, current_locale()),
                reach=reach,
            )
        )
    lines.append(_("Full list: /export"))
    await message.reply("\n".join(lines))


@router.message(Command("export"), StateFilter("*"), flags={"staff": "fees.export"})
async def export(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    community: Community,
) -> None:
    periods = await _periods(message, command, community, app, read=export_range)
    if periods is None:
        return
    first, last = periods
    data = await export_csv(session, community.id, first, last)
    await message.reply_document(
        BufferedInputFile(data, filename=f"bills-{first}-{last}.csv"),
        caption=_("Bills and payments, {first} – {last}.").format(first=first, last=last),
    )
