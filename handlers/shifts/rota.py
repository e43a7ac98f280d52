"""The rota and the hand-over log in the admin group.

- ``/shift_add who | YYYY-MM-DD | 08:00-20:00`` (managers): a shift for a staff
  member (@username or full name), in the community's time; an end before the
  start runs past midnight. When it ends, the bot asks them for the hand-over.
- ``/handovers [YYYY-MM-DD]``: the day's hand-overs (default today), with who
  acknowledged them.
- "🤝 Acknowledge" on a hand-over card: the next shift takes it over (not its
  author); the card shows who and when.
"""

from __future__ import annotations

import logging
import re
from datetime import date, time
from html import escape
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_short_datetime, local_dt
from core.identity import Identity
from core.models import Community, Person
from core.shifts.service import ShiftError, acknowledge, add_shift, handovers_on
from handlers.kit import admin_router, answer_query, group_command
from handlers.shifts.texts import AckCb, handover_text

log = logging.getLogger(__name__)

router = admin_router("shifts.rota")

group_command("shift_add", __("Add a shift: who | YYYY-MM-DD | 08:00-20:00"), order=80)
group_command("handovers", __("A day's shift hand-overs: /handovers [YYYY-MM-DD]"), order=81)

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~～到至]\s*(\d{1,2}):(\d{2})$")


def _usage() -> str:
    return _(
        "Usage: /shift_add who | YYYY-MM-DD | 08:00-20:00\n"
        "Example: /shift_add @wang_guard | 2026-12-03 | 20:00-08:00"
    )


def _hours(text: str) -> tuple[time, time] | None:
    match = _HOURS.match(text.strip())
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
        return None
    return time(h1, m1), time(h2, m2)


@router.message(Command("shift_add"), flags={"staff": "shifts.manage"})
async def shift_add(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    locale: str,
) -> None:
    parts = [part.strip() for part in (command.args or "").split("|")]
    hours = _hours(parts[2]) if len(parts) == 3 else None
    try:
        day = date.fromisoformat(parts[1]) if len(parts) == 3 else None
    except ValueError:
        day = None
    if day is None or hours is None or not parts[0]:
        await message.reply(_usage())
        return
    try:
        shift = await add_shift(
            session,
            community,
            who=parts[0],
            day=day,
            start=hours[0],
            end=hours[1],
            actor_person_id=identity.person_id,
        )
    except ShiftError as exc:
        await message.reply(
            _("Several staff members have that name: use their @username.")
            if exc.code == "ambiguous_staff"
            else _("No active staff member here is “{who}”.").format(who=escape(parts[0]))
        )
        return
    tz = community.timezone
    await message.reply(
        _("✅ Shift for {name}: {start} – {end}. At its end I ask for the hand-over.").format(
            name=escape(shift.person.full_name),
            start=fmt_short_datetime(shift.starts_at, tz, locale),
            end=fmt_short_datetime(shift.ends_at, tz, locale),
        )
    )


@router.message(Command("handovers"), flags={"staff": "shifts.log"})
async def handovers_log(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    arg = (command.args or "").strip()
    try:
        day = (
            date.fromisoformat(arg) if arg else local_dt(app.clock.now(), community.timezone).date()
        )
    except ValueError:
        await message.reply(_("Usage: /handovers or /handovers 2026-12-03"))
        return
    rows = await handovers_on(session, community, day)
    if not rows:
        await message.reply(_("No hand-overs on {day}.").format(day=day.isoformat()))
        return
    texts = []
    for row in rows:
        author = await session.get(Person, row.from_person_id) if row.from_person_id else None
        acker = (
            await session.get(Person, row.acknowledged_by_person_id)
            if row.acknowledged_by_person_id
            else None
        )
        texts.append(
            handover_text(
                row,
                author.full_name if author else "—",
                community.timezone,
                locale,
                acker.full_name if acker else None,
            )
            + ("" if acker else "\n" + _("⏳ Not acknowledged."))
        )
    await message.reply("\n\n".join(texts)[:4000])


@router.callback_query(AckCb.filter(), flags={"staff": "shifts.acknowledge"})
async def acknowledged(
    query: CallbackQuery, callback_data: AckCb, app: AppContext, locale: str, **data: Any
) -> None:
    community: Community = data["community"]
    session: AsyncSession = data["session"]
    identity: Identity = data["identity"]
    assert identity.person_id is not None
    try:
        row = await acknowledge(
            session,
            callback_data.handover_id,
            community.id,
            person_id=identity.person_id,
            now=app.clock.now(),
        )
    except ShiftError as exc:
        texts = {
            "own_handover": _("The next shift acknowledges a hand-over, not its author."),
            "already_acknowledged": _("This hand-over is already acknowledged."),
        }
        await answer_query(
            query, texts.get(exc.code, _("That hand-over is not found here.")), alert=True
        )
        return
    await answer_query(query, _("Acknowledged."))
    author = await session.get(Person, row.from_person_id) if row.from_person_id else None
    text = handover_text(
        row, author.full_name if author else "—", community.timezone, locale, identity.full_name
    )
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text)
        except TelegramBadRequest as exc:
            log.info("hand-over card not edited", extra={"fields": {"error": str(exc)}})
