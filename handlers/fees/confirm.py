"""Confirming (or cancelling) a money-changing action in the admin group.

Steps:
1. a fee command or the last step of /fee_add showed the action back with
   Confirm / Cancel and waits (``Pending.confirm`` / ``FeeAdd.confirm``);
2. Cancel, or /cancel: nothing is saved;
3. Confirm: the staff gate checks the action's roles again (they may have changed
   meanwhile), the action is carried out with its audit entry (core.fees.staff_actions), the
   summary becomes the result, and receipts it queued are delivered now.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.fees import staff_actions
from core.fees.common import FeeError
from core.fees.staff_actions import Outcome, carry_out
from core.identity import Identity
from core.models import Community
from handlers.fees.fee_add import FeeAdd
from handlers.fees.outbox import kick_outbox
from handlers.fees.staff_views import ConfirmCb, Pending, actor
from handlers.fees.texts import error_text, money_of
from handlers.kit import admin_router, answer_query, commit_before_send, edit

router = admin_router("fees.confirm")


@router.message(Command("cancel"), StateFilter(FeeAdd, Pending))
async def group_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.reply(_("Cancelled. Nothing was saved."))


@router.message(Pending.confirm, ~F.text.startswith("/"))
async def press_a_button(message: Message) -> None:
    await message.reply(_("Please choose one of the buttons above, or send /cancel."))


@router.callback_query(ConfirmCb.filter(~F.yes), StateFilter(FeeAdd.confirm, Pending.confirm))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await answer_query(query, _("Cancelled."))
    await edit(query, _("Cancelled. Nothing was saved."))


async def _waiting_action(state: FSMContext) -> str:
    """The staff action waiting for Confirm."""
    if await state.get_state() == FeeAdd.confirm.state:
        return staff_actions.ITEM_ADD
    action = str((await state.get_data()).get("action"))
    # One this version does not know (stored before an upgrade) is gated as strictly
    # as any, then refused by carry_out.
    return action if action in staff_actions.ACTIONS else staff_actions.ITEM_ADD


async def _confirmed_action(event: TelegramObject, data: dict[str, Any]) -> str:
    """The staff gate's flag: it checks the roles of the action being confirmed."""
    return await _waiting_action(data["state"])


@router.callback_query(
    ConfirmCb.filter(F.yes),
    StateFilter(FeeAdd.confirm, Pending.confirm),
    flags={"staff": _confirmed_action},
)
async def confirm(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    action = await _waiting_action(state)
    data = await state.get_data()
    await state.clear()
    try:
        outcome = await carry_out(
            session, community, action, data, actor=actor(identity), now=app.clock.now()
        )
    except FeeError as exc:
        await answer_query(query)
        await edit(query, error_text(exc, community.currency))
        return
    if outcome.outbox_ids:
        # The receipts are delivered right away, from another session: it must find them.
        await commit_before_send(session)
    await answer_query(query, _("Done."))
    await edit(query, _result_text(action, data, outcome, community))
    if outcome.outbox_ids:
        kick_outbox(app, outcome.outbox_ids)


def _result_text(action: str, data: dict[str, Any], done: Outcome, community: Community) -> str:
    money = money_of(community)
    if action == staff_actions.ITEM_ADD:
        return _("Fee item #{id} {name} added. It is charged from the next bills.").format(
            id=done.id, name=done.name
        )
    if action == staff_actions.PAYMENT_OFFLINE:
        return _(
            "Payment #{id} recorded: {amount} for {unit} ({bills}). Receipts go to the residents."
        ).format(
            id=done.id,
            amount=money(data["amount"]),
            unit=data["unit_label"],
            bills=", ".join(data.get("periods", [])),
        )
    if action == staff_actions.REFUND:
        return _("Refund of {amount} from payment #{id} recorded.").format(
            amount=money(data["amount"]), id=data["payment_id"]
        )
    if action == staff_actions.ADJUST:
        return _("Bill {unit} {period} adjusted by {amount}: now {due} due.").format(
            unit=data["unit_label"],
            period=done.period,
            amount=money(data["amount"]),
            due=money(done.outstanding_minor),
        )
    if action == staff_actions.EXPENSE:
        return _("Entry #{id} recorded: {amount}, {description}.").format(
            id=done.id, amount=money(data["amount"]), description=data["description"]
        )
    return _("Entry #{id} reversed by entry #{new}.").format(id=data["expense_id"], new=done.id)
