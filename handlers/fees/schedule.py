"""The fee schedule in the admin group.

Steps:
1. /fees — the community's fee items, each with its terms, and the fee commands.
2. /fee_retire ID — stop charging an item on new bills (managers).
"""

from __future__ import annotations

from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.common import FeeError
from core.fees.models import FeeScope
from core.fees.schedule import list_fee_items, retire_fee_item, target_labels
from core.fees.staff_input import parse_id
from core.identity import Identity
from core.models import Community
from handlers.fees.staff_views import actor
from handlers.fees.texts import error_text, every_names, kind_names, money_of
from handlers.kit import admin_router, group_command

router = admin_router("fees.schedule")

group_command("fees", __("Fee schedule and fee commands"), order=40)


@router.message(Command("fees"), StateFilter("*"), flags={"staff": "fees.list"})
async def fees_list(message: Message, session: AsyncSession, community: Community) -> None:
    items = await list_fee_items(session, community.id)
    kinds = kind_names()
    every = every_names()
    money = money_of(community)
    lines = [_("<b>Fee schedule of {community}</b>").format(community=community.name)]
    if not items:
        lines.append(_("No fee items yet. Add one with /fee_add."))
    for item in items:
        scope = _("all units")
        if item.scope != FeeScope.ALL:
            scope = ", ".join(await target_labels(session, item))
        late = (
            _(", late fee {amount}").format(amount=money(item.late_fee_minor))
            if item.late_fee_minor
            else ""
        )
        lines.append(
            _("#{id} {name}: {amount} {kind}, {every}, due on day {day}{late} — {scope}").format(
                id=item.id,
                name=item.name,
                amount=money(item.amount_minor),
                kind=kinds[item.kind.value],
                every=every.get(item.period_months, str(item.period_months)),
                day=item.due_day,
                late=late,
                scope=scope,
            )
        )
    lines.append("")
    lines.append(
        _(
            "/fee_add — add an item · /fee_retire ID — stop charging an item\n"
            "/bills_generate YYYY-MM — generate a period's bills\n"
            "/pay_cash, /pay_bank UNIT AMOUNT NOTE — offline payments\n"
            "/refund PAYMENT AMOUNT REASON · /adjust UNIT PERIOD ±AMOUNT REASON\n"
            "/expense, /fund_in, /fund_out CATEGORY AMOUNT DESCRIPTION (a photo caption "
            "attaches the receipt) · /expense_reverse ID REASON\n"
            "/report · /overdue · /export"
        )
    )
    await message.reply("\n".join(lines))


@router.message(Command("fee_retire"), StateFilter("*"), flags={"staff": "fees.retire"})
async def fee_retire(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    identity: Identity,
    community: Community,
) -> None:
    item_id = parse_id((command.args or "").strip())
    if item_id is None:
        await message.reply(_("Usage: /fee_retire ID (see /fees for the ids)."))
        return
    try:
        item = await retire_fee_item(session, community, item_id, **actor(identity).kwargs())
    except FeeError as exc:
        await message.reply(error_text(exc))
        return
    await message.reply(
        _("Fee item #{id} {name} is retired: it is not charged on new bills.").format(
            id=item.id, name=item.name
        )
    )
