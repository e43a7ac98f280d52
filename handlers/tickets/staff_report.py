"""``/report tickets [YYYY-MM]`` in the admin group: the month's figures, then a chart.

Steps: the month (this one by default; see :mod:`core.tickets.report_month`) →
the figures as text at once → the chart, drawn off the event loop, labelled in
the group's language when a CJK font is installed and in English otherwise. Other
``/report`` subjects belong to other areas and are passed on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from html import escape

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.dates import format_skeleton
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import babel_locale, fmt_duration
from core.models import Community
from core.tickets import reports
from core.tickets.models import DeadlineKind, RepairCategory, TicketKind
from core.tickets.report_month import parse_month
from handlers.kit import admin_router, group_command, group_locale
from handlers.tickets.labels import (
    category_label,
    deadline_label,
    hazard_label,
    kind_label,
)

log = logging.getLogger(__name__)

router = admin_router("tickets.staff_report")

group_command("report", __("Monthly report: /report tickets [YYYY-MM]"), order=30)


def _chart_labels(title: str) -> reports.ChartLabels:
    return reports.ChartLabels(
        title=title,
        by_kind_title=_("Tickets by kind"),
        by_category_title=_("Repairs by category"),
        deadlines_title=_("Deadlines met (%)"),
        kinds={k: kind_label(k) for k in TicketKind},
        categories={c: category_label(c) for c in RepairCategory},
        deadlines={d: deadline_label(d) for d in DeadlineKind},
        no_data=_("no data"),
    )


def render_report_text(report: reports.TicketReport, community: Community) -> str:
    locale = community.locale
    month = format_skeleton("yMMMM", report.month, locale=babel_locale(locale))
    lines = [
        _("📊 <b>Tickets — {month}</b> ({community})").format(
            month=month, community=escape(community.name)
        ),
        _("Filed: {count}").format(count=report.total),
    ]
    if report.by_kind:
        lines.append(
            _("By kind: {items}").format(
                items=" · ".join(
                    f"{kind_label(k)} {report.by_kind[k]}" for k in TicketKind if report.by_kind[k]
                )
            )
        )
    if report.by_category:
        lines.append(
            _("Repairs by category: {items}").format(
                items=" · ".join(
                    f"{category_label(c)} {n}" for c, n in report.by_category.most_common()
                )
            )
        )
    if report.by_hazard:
        lines.append(
            _("Hazards: {items}").format(
                items=" · ".join(
                    f"{hazard_label(h)} {n}" for h, n in report.by_hazard.most_common()
                )
            )
        )
    if report.deadlines:
        lines += ["", _("<b>Deadlines met</b>")]
        for kind, share in report.deadlines.items():
            percent = round(100 * (share.share or 0))
            lines.append(
                _("{label}: {percent}% ({met} of {total})").format(
                    label=deadline_label(kind), percent=percent, met=share.met, total=share.decided
                )
            )
    lines.append("")
    none = _("no data")
    lines.append(
        _("Median time to on site: {value}").format(
            value=fmt_duration(report.median_to_on_site, locale)
            if report.median_to_on_site
            else none
        )
    )
    lines.append(
        _("Median time to resolved: {value}").format(
            value=fmt_duration(report.median_to_resolved, locale)
            if report.median_to_resolved
            else none
        )
    )
    if report.average_rating is not None:
        lines.append(
            _("Average rating: {rating} / 5 ({count} ratings)").format(
                rating=f"{report.average_rating:.1f}", count=report.ratings
            )
        )
    else:
        lines.append(_("Average rating: {value}").format(value=none))
    return "\n".join(lines)


# Other areas' reports (/report fees …) are theirs: only "/report tickets …" is taken here.
TICKETS_REPORT = Command("report", magic=F.args.regexp(r"(?i)^\s*tickets?(\s|$)"))


@router.message(TICKETS_REPORT, flags={"staff": "tickets.report"})
async def report_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
) -> None:
    now = app.clock.now()
    today = reports.current_month(now, community.timezone)
    month = parse_month(" ".join((command.args or "").split()[1:]), today)
    if month is None:
        await message.reply(_("Usage: /report tickets [YYYY-MM], e.g. /report tickets 2026-11"))
        return
    report = await reports.build_report(session, community, month, now)
    text = render_report_text(report, community)
    use_cjk = reports.cjk_font_path() is not None
    await message.reply(text)
    # The figures first; the chart follows (matplotlib needs a moment, off the loop).
    locale = group_locale(app, community)
    with app.i18n.use_locale(locale if use_cjk or locale == "en" else "en"):
        # Without a CJK font, label the chart in English rather than with empty boxes.
        title = f"{community.name} · " if use_cjk else ""
        labels = _chart_labels(f"{title}{report.month:%Y-%m}")
    with contextlib.suppress(TelegramAPIError):
        assert app.bot is not None
        await app.bot.send_chat_action(
            message.chat.id,
            "upload_photo",
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    try:
        png = await asyncio.to_thread(reports.render_chart, report, labels, use_cjk_font=use_cjk)
    except Exception:
        log.exception("ticket chart failed")
        await message.reply(_("The chart could not be drawn this time; the figures above stand."))
        return
    await message.reply_photo(BufferedInputFile(png, filename=f"tickets-{report.month:%Y-%m}.png"))
