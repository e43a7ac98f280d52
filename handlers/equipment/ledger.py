"""The equipment ledger in the admin group.

- ``/equipment``: the items in use (number, name, kind, building, place).
- ``/equipment_add name | kind | place`` (managers): one item; a whole ledger
  comes in by CSV (:mod:`.import_csv`, or ``courtyard import-equipment``).
- ``/equipment_retire <number>`` (managers): the item leaves the ledger and its
  plans stop making tasks for it.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.equipment.ledger import EquipmentError, add_item, community_items, retire_item
from core.identity import Identity
from core.models import Community
from handlers.equipment.texts import item_line
from handlers.kit import admin_router, group_command

router = admin_router("equipment.ledger")

group_command("equipment", __("The equipment ledger"), order=70)
group_command("equipment_add", __("Add equipment: name | kind | place"), order=71)
group_command("equipment_retire", __("Retire equipment: /equipment_retire <number>"), order=72)


@router.message(Command("equipment"), flags={"staff": "equipment.list"})
async def equipment_list(message: Message, community: Community, session: AsyncSession) -> None:
    items = await community_items(session, community.id)
    if not items:
        await message.reply(
            _("The ledger is empty. Add items with /equipment_add or import a CSV file.")
        )
        return
    lines = [_("<b>Equipment in use: {count}</b>").format(count=len(items))]
    lines.extend(item_line(item) for item in items[:80])
    if len(items) > 80:
        lines.append(_("… and {count} more").format(count=len(items) - 80))
    await message.reply("\n".join(lines))


@router.message(Command("equipment_add"), flags={"staff": "equipment.manage"})
async def equipment_add(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    parts = [part.strip() for part in (command.args or "").split("|")]
    if (
        len(parts) != 3
        or not parts[0]
        or not parts[1]
        or len(parts[0]) > 80
        or len(parts[1]) > 40
        or len(parts[2]) > 160
    ):
        await message.reply(
            _(
                "Usage: /equipment_add name | kind | place\n"
                "Example: /equipment_add Elevator 3-1 | elevator | Building 3, east"
            )
        )
        return
    try:
        item = await add_item(
            session,
            community,
            name=parts[0],
            kind=parts[1],
            place=parts[2],
            actor_person_id=identity.person_id,
        )
    except EquipmentError:
        taken = _("An item named “{name}” is already in the ledger.")
        await message.reply(taken.format(name=escape(parts[0])))
        return
    await message.reply(_("✅ Added to the ledger: {item}").format(item=item_line(item)))


@router.message(Command("equipment_retire"), flags={"staff": "equipment.manage"})
async def equipment_retire(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    arg = (command.args or "").strip().lstrip("#")
    if not arg.isdigit():
        await message.reply(escape(_("Usage: /equipment_retire <number from /equipment>")))
        return
    try:
        item = await retire_item(
            session, community, int(arg), now=app.clock.now(), actor_person_id=identity.person_id
        )
    except EquipmentError as exc:
        text = (
            _("That item is already retired.")
            if exc.code == "already_retired"
            else _("There is no item #{number} here: see /equipment.").format(number=arg)
        )
        await message.reply(text)
        return
    await message.reply(
        _("Retired: {item}. Its plans make no more tasks for it.").format(item=item_line(item))
    )
