"""Fire lanes and exits in the admin group.

- ``/firelane_add name | place | [lat, lon]`` (managers): a fire-lane checkpoint;
  its QR is on the ``/checkpoints`` sheet and every check asks a photo and
  "clear / blocked" (:mod:`.lane_check`).
- ``/firelane_report [YYYY-MM]``: the month's compliance, checks done against
  required for each lane (default this month, in the community's time).
"""

from __future__ import annotations

from datetime import date
from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import babel_locale, local_dt
from core.identity import Identity
from core.models import Community
from core.patrols.checkpoints import parse_coordinates
from core.patrols.fire_lanes import LaneCompliance, lane_compliance
from core.patrols.models import CheckpointKind
from handlers.kit import admin_router, group_command
from handlers.patrols.setup import add_checkpoint
from handlers.patrols.texts import block, fmt_pct

router = admin_router("patrols.lanes")

group_command("firelane_add", __("Add a fire lane or exit to check: name | place"), order=64)
group_command(
    "firelane_report", __("Fire-lane checks this month: /firelane_report [YYYY-MM]"), order=65
)


def _usage() -> str:
    return _(
        "Usage: /firelane_add name | place | [latitude, longitude]\n"
        "Example: /firelane_add East fire lane | Between buildings 2 and 3"
    )


@router.message(Command("firelane_add"), flags={"staff": "patrols.manage"})
async def firelane_add(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    parts = [part.strip() for part in (command.args or "").split("|")]
    if len(parts) not in (2, 3) or not parts[0] or len(parts[0]) > 80 or len(parts[1]) > 160:
        await message.reply(_usage())
        return
    coordinates = None
    if len(parts) == 3 and parts[2]:
        coordinates = parse_coordinates(parts[2])
        if coordinates is None:
            await message.reply(
                _("“{text}” is not a location (latitude, longitude).").format(text=escape(parts[2]))
                + "\n"
                + _usage()
            )
            return
    lane = await add_checkpoint(
        message,
        session,
        community,
        identity,
        name=parts[0],
        place=parts[1],
        coordinates=coordinates,
        photo=True,
        kind=CheckpointKind.FIRE_LANE,
    )
    if lane is None:
        return
    await message.reply(
        _(
            "🧯 Fire lane #{number} <b>{name}</b> added ({place}). Each check asks a photo "
            "and “clear / blocked”; a blocked lane opens a hazard ticket. "
            "Its QR is on the /checkpoints sheet."
        ).format(number=lane.id, name=escape(lane.name), place=escape(lane.place))
    )


def compliance_text(report: LaneCompliance, locale: str) -> str:
    month = format_date(report.month, "yyyy-MM", locale=babel_locale(locale))
    title = _("<b>🧯 Fire lanes and exits, {month}</b>").format(month=month)
    if not report.lanes:
        return block(title, _("No fire lanes yet. Add one with /firelane_add."))
    done = _("Checks done: {done} of {required} required ({pct})")
    lines = [
        title,
        done.format(done=report.done, required=report.required, pct=fmt_pct(report.pct)),
    ]
    for lane in report.lanes:
        mark = "✅" if lane.done >= lane.required else "⚠️"
        line = _("{mark} {name}: {done}/{required}").format(
            mark=mark, name=escape(lane.name), done=lane.done, required=lane.required
        )
        if lane.blocked:
            line += " · " + _("found blocked {count}×").format(count=lane.blocked)
        lines.append(line)
    return "\n".join(lines)


@router.message(Command("firelane_report"), flags={"staff": "patrols.report"})
async def firelane_report(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    arg = (command.args or "").strip()
    if arg:
        try:
            month = date.fromisoformat(arg + "-01")
        except ValueError:
            await message.reply(_("Usage: /firelane_report or /firelane_report 2026-12"))
            return
    else:
        month = local_dt(app.clock.now(), community.timezone).date().replace(day=1)
    report = await lane_compliance(session, community, month)
    await message.reply(compliance_text(report, locale))
