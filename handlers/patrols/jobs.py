"""The patrols' work outside any update (through the scheduler, on its leader only).

- Every minute, round windows whose end plus the route's grace has passed are
  closed once; a round with missed points alerts the admin group, naming them.
- Every ten minutes, from 07:00 local time, yesterday's patrol report is posted
  to the admin group, once per community and day.
- Every ten minutes, on Mondays from 07:00 local time, the report of the week
  just ended (Monday to Sunday), once per community and week (claimed before it
  is sent, :mod:`core.sends`).
- Every hour, fire lanes behind their monthly checks are named in the admin group:
  from the 15th those not checked yet, in the month's last three days those with
  fewer checks than required — once per community and stage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from html import escape
from typing import Protocol, TypeVar

from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group
from core.formatting import fmt_time
from core.models import Community
from core.patrols.fire_lanes import LaneReminder, claim_lane_reminders
from core.patrols.rounds import (
    MissedRound,
    claim_daily_reports,
    close_due_rounds,
    daily_report,
    patrol_report,
    weekly_key,
    weekly_reports_due,
)
from core.scheduler import Scheduler
from core.sends import send_once
from handlers.patrols.report import report_text


def missed_text(missed: MissedRound) -> str:
    tz = missed.community.timezone
    locale = missed.community.locale
    text = _(
        "🚨 Patrol round not completed: <b>{route}</b>, {start}–{end}.\nMissed: {points}"
    ).format(
        route=escape(missed.route.name),
        start=fmt_time(missed.round.window_start, tz, locale),
        end=fmt_time(missed.round.window_end, tz, locale),
        points=escape("、".join(missed.missed)),
    )
    if missed.on_duty:
        text += "\n" + _("On duty: {names}").format(names=escape("、".join(missed.on_duty)))
    return text


class _ForCommunity(Protocol):
    @property
    def community(self) -> Community: ...


T = TypeVar("T", bound=_ForCommunity)


async def _claim_and_post(
    ctx: AppContext,
    claim: Callable[[AsyncSession, datetime], Awaitable[list[T]]],
    text: Callable[[T], str],
) -> int:
    # Claimed and committed before anyone is told: a second run never tells twice.
    async with ctx.session_factory.begin() as session:
        items = await claim(session, ctx.clock.now())
    if ctx.bot is not None:
        for item in items:
            await send_to_admin_group(ctx, item.community, partial(text, item))
    return len(items)


async def rounds_job(ctx: AppContext) -> int:
    return await _claim_and_post(ctx, close_due_rounds, missed_text)


async def daily_report_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        due = await claim_daily_reports(session, ctx.clock.now())
        reports = [(c, await daily_report(session, c, day)) for c, day in due]
    if ctx.bot is None:
        return len(reports)
    for community, report in reports:
        locale = community.locale or ctx.settings.default_locale
        await send_to_admin_group(ctx, community, partial(report_text, report, community, locale))
    return len(reports)


async def weekly_report_job(ctx: AppContext) -> int:
    if ctx.bot is None:
        return 0
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        due = await weekly_reports_due(session, now)
        reports = [
            (c, await patrol_report(session, c, monday, monday + timedelta(days=6)))
            for c, monday in due
        ]
    posted = 0
    for community, report in reports:
        locale = community.locale or ctx.settings.default_locale
        build = partial(report_text, report, community, locale)
        sent, _result = await send_once(
            ctx.session_factory,
            weekly_key(community.id, report.day),
            now,
            partial(send_to_admin_group, ctx, community, build),
        )
        posted += int(sent)
    return posted


def lane_reminder_text(reminder: LaneReminder) -> str:
    names = "、".join(
        f"{escape(lane.name)} ({lane.done}/{lane.required})" for lane in reminder.behind
    )
    if reminder.stage == "mid":
        return _(
            "🧯 Half the month is gone and these fire lanes have no check yet: {names}"
        ).format(names=names)
    return _("🧯 The month ends in a few days; these fire lanes still need checks: {names}").format(
        names=names
    )


async def lane_reminder_job(ctx: AppContext) -> int:
    return await _claim_and_post(ctx, claim_lane_reminders, lane_reminder_text)


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("patrols.rounds", lambda: rounds_job(ctx), 60)
    scheduler.add_periodic("patrols.daily_report", lambda: daily_report_job(ctx), 600)
    scheduler.add_periodic("patrols.weekly_report", lambda: weekly_report_job(ctx), 600)
    scheduler.add_periodic("patrols.fire_lane_reminder", lambda: lane_reminder_job(ctx), 3600)
