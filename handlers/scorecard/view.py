"""``/scorecard [YYYY-MM | week]`` in the admin group (managers): the month's
figures of the office's duties (default this month, in the community's time), or
the same figures for the seven days to today, each computed from the records, with
the source documents' target where there is one.

Steps: one command, one answer (the figures, or the usage on a bad argument).
"""

from __future__ import annotations

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import local_dt
from core.models import Community
from core.scorecard.figures import month_scorecard, week_scorecard
from core.tickets.report_month import parse_month
from handlers.kit import admin_router, group_command
from handlers.scorecard.texts import scorecard_text

router = admin_router("scorecard.view")

group_command("scorecard", __("The office's scorecard: /scorecard [YYYY-MM | week]"), order=90)


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
    today = local_dt(now, community.timezone).date()
    arg = (command.args or "").strip().lower()
    if arg == "week":
        card = await week_scorecard(session, community, today, now)
        await message.reply(scorecard_text(card, locale))
        return
    month = parse_month(arg, today)
    if month is None:
        await message.reply(_("Usage: /scorecard, /scorecard 2026-12 or /scorecard week"))
        return
    card = await month_scorecard(session, community, month, now)
    await message.reply(scorecard_text(card, locale))
