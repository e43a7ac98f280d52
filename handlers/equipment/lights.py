"""The month's light round in the admin group (staff who work repairs).

- ``/lights``: this month so far — lights checked of all, % working against the
  98% target, the lights out.
- ``/lights out 12 15 …``: those lights (numbers from ``/equipment``) are out;
  each becomes a repair ticket linked to the light, posted in its own topic.
- ``/lights done``: the round is over; every light not named out is working.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.equipment.ledger import EquipmentError
from core.equipment.lights import (
    TARGET_PCT,
    LightMonth,
    close_round,
    light_month,
    lights_out,
    month_of,
)
from core.equipment.models import Equipment
from core.identity import Identity
from core.models import Community
from handlers.kit import admin_router, commit_before_send, group_command
from handlers.patrols.texts import fmt_pct
from handlers.tickets.group import publish_once

router = admin_router("equipment.lights")

group_command("lights", __("The light round: /lights, /lights out 12 15, /lights done"), order=76)


def month_text(month: LightMonth) -> str:
    mark = "✅" if month.on_target else "⚠️"
    lines = [
        _("<b>💡 Lights, {month}</b>").format(month=month.month),
        _("Checked: {checked} of {total}").format(checked=month.checked, total=month.total),
        _("{mark} Working: {pct} (target {target})").format(
            mark=mark, pct=fmt_pct(month.pct), target=fmt_pct(TARGET_PCT)
        ),
    ]
    if month.out:
        names = "、".join(f"#{item.id} {escape(item.name)}" for item in month.out)
        lines.append(_("Out: {names}").format(names=names))
    return "\n".join(lines)


def _usage() -> str:
    return _(
        "Usage: /lights — this month; /lights out 12 15 — those lights are out; "
        "/lights done — the rest work."
    )


def _describe(item: Equipment) -> str:
    return _("Light out on the monthly light round: {name}.").format(name=item.name)


@router.message(Command("lights"), flags={"staff": "equipment.lights"})
async def lights_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    words = (command.args or "").split()
    now = app.clock.now()
    if not words:
        await message.reply(
            month_text(await light_month(session, community, month_of(now, community.timezone)))
        )
        return
    if identity.person_id is None:
        return
    if words == ["done"]:
        closed = await close_round(session, community, now=now, person_id=identity.person_id)
        await message.reply(_("The light round is closed.") + "\n" + month_text(closed))
        return
    numbers = [w.lstrip("#") for w in words[1:]]
    if words[0] != "out" or not numbers or not all(n.isdigit() for n in numbers):
        await message.reply(_usage())
        return
    try:
        found = await lights_out(
            session,
            app.clock,
            community,
            [int(n) for n in numbers],
            person_id=identity.person_id,
            describe=_describe,
        )
    except EquipmentError:
        await message.reply(_("Those numbers must be lights in use: see /equipment."))
        return
    # The cards about to be posted carry the tickets' ids on their buttons.
    await commit_before_send(session)
    lines = []
    for item, ticket in found:
        if ticket is None:
            lines.append(
                _("#{number} {name} was already out this month.").format(
                    number=item.id, name=escape(item.name)
                )
            )
            continue
        await publish_once(app, ticket.id)
        lines.append(
            _("💡 #{number} {name} is out: repair ticket #{ticket}.").format(
                number=item.id, name=escape(item.name), ticket=ticket.number
            )
        )
    await message.reply("\n".join(lines))
