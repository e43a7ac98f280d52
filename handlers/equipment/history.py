"""An item's record in the admin group.

- ``/item_ticket <ticket number> <item number>`` (staff who work tickets): the
  repair ticket was about this item.
- ``/equipment_history <item number>``: the item, its maintenance tasks (done by
  whom and when, or still open) and its linked repairs, newest first.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.equipment.history import item_history, link_ticket
from core.equipment.ledger import EquipmentError
from core.equipment.models import TaskStatus
from core.formatting import fmt_date, local_dt
from core.identity import Identity
from core.models import Community
from handlers.equipment.texts import item_line
from handlers.kit import admin_router, group_command
from handlers.tickets.labels import status_label

router = admin_router("equipment.history")

group_command(
    "item_ticket", __("Link a repair ticket to equipment: /item_ticket <ticket> <item>"), order=74
)
group_command("equipment_history", __("An item's maintenance and repairs"), order=75)


def _numbers(command: CommandObject, count: int) -> list[int] | None:
    parts = [p.lstrip("#") for p in (command.args or "").split()]
    if len(parts) != count or not all(p.isdigit() for p in parts):
        return None
    return [int(p) for p in parts]


@router.message(Command("item_ticket"), flags={"staff": "equipment.link"})
async def item_ticket(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    numbers = _numbers(command, 2)
    if numbers is None:
        await message.reply(
            escape(_("Usage: /item_ticket <ticket number> <item number>, e.g. /item_ticket 12 3"))
        )
        return
    try:
        ticket, item = await link_ticket(
            session,
            community,
            ticket_number=numbers[0],
            item_id=numbers[1],
            actor_person_id=identity.person_id,
        )
    except EquipmentError as exc:
        await message.reply(
            _("There is no ticket #{number} here.").format(number=numbers[0])
            if exc.code == "unknown_ticket"
            else _("There is no item #{number} here: see /equipment.").format(number=numbers[1])
        )
        return
    await message.reply(
        _("🔗 Ticket #{number} is now in the history of {item}.").format(
            number=ticket.number, item=item_line(item)
        )
    )


@router.message(Command("equipment_history"), flags={"staff": "equipment.list"})
async def equipment_history(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    locale: str,
) -> None:
    numbers = _numbers(command, 1)
    if numbers is None:
        await message.reply(escape(_("Usage: /equipment_history <item number from /equipment>")))
        return
    try:
        history = await item_history(session, community, numbers[0])
    except EquipmentError:
        await message.reply(
            _("There is no item #{number} here: see /equipment.").format(number=numbers[0])
        )
        return
    item = history.item
    lines = [_("📒 {item}").format(item=item_line(item))]
    if item.installed_on or item.vendor:
        lines.append(
            _("Installed: {day} · vendor: {vendor}").format(
                day=fmt_date(item.installed_on, locale) if item.installed_on else "—",
                vendor=escape(item.vendor) or "—",
            )
        )
    if not item.active:
        lines.append(_("Retired."))
    lines.append("")
    lines.append(_("<b>Maintenance</b>"))
    if not history.tasks:
        lines.append(_("No tasks yet."))
    for task, who in history.tasks:
        if task.status == TaskStatus.DONE and task.done_at is not None:
            when = fmt_date(local_dt(task.done_at, community.timezone).date(), locale)
            lines.append(
                _("✅ {period}: done {day} by {name}").format(
                    period=task.period, day=when, name=escape(who or "—")
                )
            )
        else:
            lines.append(
                _("☐ {period}: open, due {day}").format(
                    period=task.period, day=fmt_date(task.due_on, locale)
                )
            )
    lines.append("")
    lines.append(_("<b>Repairs</b>"))
    if not history.repairs:
        lines.append(_("No repair tickets linked."))
    for ticket in history.repairs:
        day = fmt_date(local_dt(ticket.created_at, community.timezone).date(), locale)
        lines.append(
            f"#{ticket.number} · {day} · {escape(status_label(ticket.status))} · "
            f"{escape(ticket.description[:60])}"
        )
    await message.reply("\n".join(lines))
