"""``/plan_add target | frequency | item; item; …`` in the admin group (managers): a
maintenance plan for one item (its number) or for every item of a kind, weekly,
monthly, quarterly or yearly, with its checklist. Its first tasks come with the
next run of the task job (:mod:`.jobs`).
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.equipment.ledger import EquipmentError
from core.equipment.plans import add_plan, parse_checklist
from core.identity import Identity
from core.models import Community
from handlers.equipment.texts import FREQUENCY_WORDS, frequency_label
from handlers.kit import admin_router, group_command

router = admin_router("equipment.plans")

group_command(
    "plan_add", __("Add a maintenance plan: item number or kind | monthly | checklist"), order=73
)


def _usage() -> str:
    return _(
        "Usage: /plan_add item number or kind | weekly, monthly, quarterly or yearly | "
        "checklist items separated by ;\n"
        "Example: /plan_add elevator | monthly | Check the brakes; Clean the pit; Test the alarm"
    )


@router.message(Command("plan_add"), flags={"staff": "equipment.manage"})
async def plan_add(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    parts = [part.strip() for part in (command.args or "").split("|")]
    if len(parts) != 3 or not parts[0] or len(parts[0]) > 40:
        await message.reply(_usage())
        return
    frequency = FREQUENCY_WORDS.get(parts[1].lower())
    if frequency is None:
        await message.reply(
            _("“{text}” is not a frequency: weekly, monthly, quarterly or yearly.").format(
                text=escape(parts[1])
            )
        )
        return
    checklist = parse_checklist(parts[2])
    try:
        plan, covered = await add_plan(
            session,
            community,
            target=parts[0],
            frequency=frequency,
            checklist=checklist,
            actor_person_id=identity.person_id,
        )
    except EquipmentError as exc:
        texts = {
            "empty_checklist": _("The checklist is empty: list what to do, separated by ;"),
            "unknown_item": _("There is no item {target} here: see /equipment.").format(
                target=escape(parts[0])
            ),
        }
        await message.reply(
            texts.get(
                exc.code,
                _("No item in use is of kind “{kind}”: see /equipment.").format(
                    kind=escape(parts[0])
                ),
            )
        )
        return
    await message.reply(
        _(
            "✅ Plan #{number}: {frequency}, {count} item(s), {steps} checklist step(s). "
            "Its tasks appear here when due."
        ).format(
            number=plan.id,
            frequency=frequency_label(frequency),
            count=covered,
            steps=len(checklist),
        )
    )
