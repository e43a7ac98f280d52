"""``/scorecard [YYYY-MM]`` in the admin group (managers): the month's figures of
the office's duties (default this month, in the community's time), each computed
from the records, with the source documents' target where there is one.
"""

from __future__ import annotations

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.equipment.lights import TARGET_PCT
from core.formatting import fmt_date, fmt_duration, local_dt
from core.models import Community
from core.scorecard.figures import Scorecard, month_scorecard
from core.surveys.results import Satisfaction
from core.tickets.models import DeadlineKind
from core.tickets.report_month import parse_month
from handlers.kit import admin_router, group_command
from handlers.patrols.texts import fmt_pct

router = admin_router("scorecard.view")

group_command("scorecard", __("The office's monthly scorecard: /scorecard [YYYY-MM]"), order=90)


def scorecard_text(card: Scorecard, locale: str) -> str:
    lights = card.lights
    median = card.median_to_on_site
    return "\n".join(
        [
            _("<b>📊 The office's scorecard, {month}</b>").format(
                month=card.month.strftime("%Y-%m")
            ),
            _("Patrol rounds completed: {pct} ({done} of {total})").format(
                pct=fmt_pct(card.rounds_pct), done=card.rounds_completed, total=card.rounds
            ),
            _("Fire-lane checks: {done} of {required} required").format(
                done=card.lanes.done, required=card.lanes.required
            ),
            _("Lights working: {pct} of {checked} checked (target {target})").format(
                pct=fmt_pct(lights.pct), checked=lights.checked, target=fmt_pct(TARGET_PCT)
            ),
            _("Maintenance done on time: {pct} ({done} of {total})").format(
                pct=fmt_pct(card.tasks_pct), done=card.tasks_on_time, total=card.tasks_due
            ),
            _("Repairs on site in time: {pct}").format(
                pct=fmt_pct(card.deadline_pct(DeadlineKind.ON_SITE))
            ),
            _("Repairs resolved in time: {pct}").format(
                pct=fmt_pct(card.deadline_pct(DeadlineKind.RESOLVE))
            ),
            _("Median time to on site: {time}").format(
                time=fmt_duration(median, locale) if median is not None else "—"
            ),
            satisfaction_line(card.satisfaction, locale),
        ]
    )


def satisfaction_line(found: Satisfaction | None, locale: str) -> str:
    if found is None or found.mean is None:
        return _("Latest survey satisfaction: —")
    return _(
        "Latest survey satisfaction: {mean} of 5 (yearly survey closed {day}, "
        "{done} of {total} households)"
    ).format(
        mean=found.mean,
        day=fmt_date(found.closed_on, locale),
        done=found.responded,
        total=found.households,
    )


@router.message(Command("scorecard"), flags={"staff": "scorecard.view"})
async def scorecard_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    now = app.clock.now()
    month = parse_month(command.args or "", local_dt(now, community.timezone).date())
    if month is None:
        await message.reply(_("Usage: /scorecard or /scorecard 2026-12"))
        return
    card = await month_scorecard(session, community, month, now)
    await message.reply(scorecard_text(card, locale))
