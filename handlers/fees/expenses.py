"""Expenses and the maintenance fund in the admin group.

Steps:
1. /expense, /fund_in or /fund_out CATEGORY AMOUNT DESCRIPTION (as the caption
   of a photo to attach the receipt) — the category by key or by its name in
   either language; alone, the command lists the categories;
   /expense_reverse ID REASON — a correcting entry for a mistaken one;
2. shown back in full with Confirm / Cancel (handlers.fees.confirm carries it out).
Managers and accountants.
"""

from __future__ import annotations

from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.context import AppContext
from core.fees import staff_actions
from core.fees.accounts import allowed_categories, category_labels
from core.fees.common import FeeError, parse_money
from core.fees.models import Direction, Fund
from core.fees.staff_input import match_category, parse_id
from core.models import Community
from handlers.fees.staff_views import ask_confirmation
from handlers.fees.texts import current_locale, error_text, money_of, translations
from handlers.kit import admin_router, group_command

router = admin_router("fees.expenses")

group_command("expense", __("Record an expense: CATEGORY AMOUNT DESCRIPTION"), order=46)

# Category names staff may type, besides the keys: in both languages the bot speaks.
CATEGORY_LANGUAGES = ("zh_Hans", "en")
ENTRIES = {
    "expense": (Fund.OPERATING, Direction.OUT),
    "fund_in": (Fund.MAINTENANCE, Direction.IN),
    "fund_out": (Fund.MAINTENANCE, Direction.OUT),
}


@router.message(Command(*ENTRIES), StateFilter("*"), flags={"staff": "fees.expense"})
async def expense(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    app: AppContext,
    community: Community,
) -> None:
    fund, direction = ENTRIES[command.command]
    allowed = allowed_categories(fund, direction)
    money = money_of(community)
    labels = category_labels(translations(app, current_locale()))
    parts = (command.args or "").split(maxsplit=2)
    category = None
    if parts:
        languages = [category_labels(translations(app, x)) for x in CATEGORY_LANGUAGES]
        category = match_category(parts[0], allowed, languages)
    if len(parts) < 3 or category is None:
        listing = ", ".join(f"{k} ({labels.get(k, k)})" for k in allowed)
        await message.reply(
            _(
                "Usage: /{command} CATEGORY AMOUNT DESCRIPTION — send it as the caption of "
                "a photo to attach the receipt.\nCategories: {categories}"
            ).format(command=command.command, categories=listing)
        )
        return
    try:
        amount = parse_money(parts[1])
    except FeeError as exc:
        await message.reply(error_text(exc))
        return
    if amount <= 0:
        await message.reply(_("Please send a positive amount, e.g. 1.85."))
        return
    photo = message.photo[-1].file_id if message.photo else None
    what = {
        "expense": _("expense"),
        "fund_in": _("maintenance fund income"),
        "fund_out": _("maintenance fund spending"),
    }[command.command]
    summary = _("Record {what}: {category}, {amount}, {description}{photo}?").format(
        what=what,
        category=labels.get(category, category),
        amount=money(amount),
        description=parts[2],
        photo=_(" (with receipt photo)") if photo else "",
    )
    await ask_confirmation(
        message,
        state,
        {
            "action": staff_actions.EXPENSE,
            "fund": fund.value,
            "direction": direction.value,
            "category": category,
            "amount": amount,
            "description": parts[2][:500],
            "photo": photo,
        },
        summary,
    )


@router.message(
    Command("expense_reverse"), StateFilter("*"), flags={"staff": "fees.expense_reverse"}
)
async def expense_reverse(message: Message, command: CommandObject, state: FSMContext) -> None:
    parts = (command.args or "").split(maxsplit=1)
    expense_id = parse_id(parts[0]) if parts else None
    if len(parts) < 2 or expense_id is None:
        await message.reply(_("Usage: /expense_reverse ID REASON"))
        return
    await ask_confirmation(
        message,
        state,
        {"action": staff_actions.EXPENSE_REVERSE, "expense_id": expense_id, "reason": parts[1]},
        _("Reverse entry #{id}?\nReason: {reason}").format(
            id=parts[0].lstrip("#"), reason=parts[1]
        ),
    )
