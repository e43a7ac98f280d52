"""``/patrol_report [YYYY-MM-DD | week]`` in the admin group: a day's patrols
(default yesterday, in the community's time) or the seven days to yesterday, from
the closed rounds and the visits.

The same text is posted by the daily job (:mod:`.jobs`) each morning.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_date, fmt_time, local_dt
from core.models import Community
from core.patrols.rounds import DailyReport, daily_report, patrol_report
from handlers.kit import admin_router, group_command
from handlers.patrols.texts import block, fmt_pct

router = admin_router("patrols.report")

group_command(
    "patrol_report",
    __("Patrols of a day or the last week: /patrol_report [YYYY-MM-DD | week]"),
    order=63,
)


def report_text(report: DailyReport, community: Community, locale: str) -> str:
    tz = community.timezone
    if report.last is None:
        title = _("<b>🛡 Patrols on {day}</b>").format(day=fmt_date(report.day, locale))
    else:
        title = _("<b>🛡 Patrols, {first} – {last}</b>").format(
            first=fmt_date(report.day, locale), last=fmt_date(report.last, locale)
        )
    if not report.rounds and not report.guards:
        return block(title, _("No rounds were due and no visits were recorded."))
    completed = _("Rounds completed: {done} of {total} ({pct})").format(
        done=report.completed, total=report.rounds, pct=fmt_pct(report.completion_pct)
    )
    lines = [title, completed]
    for route in report.routes:
        lines.append("")
        lines.append(
            _(
                "<b>{route}</b>: {done}/{total} rounds · points on time {on_time}, late {late}, "
                "missed {missed}"
            ).format(
                route=escape(route.name),
                done=route.completed,
                total=route.rounds,
                on_time=route.points["on_time"],
                late=route.points["late"],
                missed=route.points["missed"],
            )
        )
        for start, names in route.missed:
            lines.append(
                _("❌ {time} missed: {points}").format(
                    time=fmt_time(start, tz, locale), points=escape("、".join(names))
                )
            )
        for start, names in route.late:
            lines.append(
                _("⏰ {time} late: {points}").format(
                    time=fmt_time(start, tz, locale), points=escape("、".join(names))
                )
            )
    if report.guards:
        lines.append("")
        lines.append(_("<b>Visits by guard</b>"))
        for name, count in report.guards:
            lines.append(_("{name}: {count}").format(name=escape(name or "—"), count=count))
    return "\n".join(lines)


def yesterday(now: datetime, tz: str) -> date:
    return local_dt(now, tz).date() - timedelta(days=1)


@router.message(Command("patrol_report"), flags={"staff": "patrols.report"})
async def patrol_report_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    arg = (command.args or "").strip().lower()
    last = yesterday(app.clock.now(), community.timezone)
    if arg == "week":
        report = await patrol_report(session, community, last - timedelta(days=6), last)
        await message.reply(report_text(report, community, locale))
        return
    try:
        day = date.fromisoformat(arg) if arg else last
    except ValueError:
        await message.reply(
            _("Usage: /patrol_report, /patrol_report 2026-12-01, or /patrol_report week")
        )
        return
    report = await daily_report(session, community, day)
    await message.reply(report_text(report, community, locale))
