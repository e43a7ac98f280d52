"""A guard registers someone at the booth as a walk-in, from the admin group.

1. ``/walkin UNIT NAME / PURPOSE`` (``access.walkin``), as text or as the caption of
   the visitor's photo: the unit is read as residents write it (``3-1201``), the
   purpose after `` / `` is optional. Missing parts → the usage again.
2. One gate → the household is rung at once; several → "At which gate?" buttons
   (the request waits in the guard's conversation data until one is pressed).
3. The reply says whom it rings, or why not (no such unit, nobody lives there); the
   household's answer, or no answer in time, is posted in the group (``walkin_notifier``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo, community_gates
from access.walkins.models import CallKind
from access.walkins.service import WalkinError
from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from handlers.gate.walkin_texts import outcome_line
from handlers.kit import admin_router, answer_query, drop_buttons, group_command, reply

router = admin_router("gate.walkin_desk")

group_command("walkin", __("Ring a home for a visitor: /walkin UNIT NAME / PURPOSE"), order=41)


class WalkinGateCb(CallbackData, prefix="wg"):
    gate_id: int


def _usage() -> str:
    return _(
        "Write the unit, the visitor's name and, after “/”, the purpose, e.g.\n"
        "<code>/walkin 3-1201 Zhang San / delivering flowers</code>\n"
        "Send it as the caption of the visitor's photo to show them to the household."
    )


def _parse(args: str | None) -> dict[str, str] | None:
    head, _sep, purpose = (args or "").partition(" / ")
    unit, _sep, name = head.strip().partition(" ")
    if not unit or not name.strip():
        return None
    return {"unit": unit, "name": name.strip(), "purpose": purpose.strip()}


async def _ring(
    event: Message | CallbackQuery,
    app: AppContext,
    gate: GateInfo,
    request: dict[str, Any],
    identity: Identity,
    locale: str,
) -> None:
    desk = app.gate.walkins
    assert desk is not None
    try:
        call = await desk.ring(
            gate,
            unit_label=request["unit"],
            kind=CallKind.WALKIN,
            visitor_name=request["name"],
            purpose=request["purpose"],
            photo=request.get("photo"),
            registered_by=identity.person_id,
        )
    except WalkinError as exc:
        texts = {
            "unknown_unit": _("There is no unit “{unit}” in this community.").format(
                unit=escape(request["unit"])
            ),
            "gate_disabled": _("That gate is disabled."),
        }
        await reply(event, texts.get(exc.code, _usage()))
        return
    if call.ringing:
        text = _("🔔 Ringing {unit} for {name} at {gate}…").format(
            unit=escape(call.unit_label), name=escape(call.visitor_name), gate=escape(gate.name)
        )
    else:
        text = outcome_line(call, locale)
    await reply(event, text)


@router.message(Command("walkin"), flags={"staff": "access.walkin"})
async def walkin_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    state: FSMContext,
    locale: str,
) -> None:
    request: dict[str, Any] | None = _parse(command.args)
    if request is None:
        await message.reply(_usage())
        return
    if message.photo:
        request["photo"] = message.photo[-1].file_id
    gates = await community_gates(session, community.id)
    if not gates:
        await message.reply(_("This community has no gates yet (`courtyard gate add`)."))
        return
    if len(gates) == 1:
        await _ring(message, app, gates[0], request, identity, locale)
        return
    await state.update_data(walkin=request)
    rows = [
        [InlineKeyboardButton(text=f"🚪 {g.name}", callback_data=WalkinGateCb(gate_id=g.id).pack())]
        for g in gates
    ]
    await message.reply(
        _("At which gate is the visitor?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(WalkinGateCb.filter(), flags={"staff": "access.walkin"})
async def walkin_gate(
    query: CallbackQuery,
    callback_data: WalkinGateCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    state: FSMContext,
    locale: str,
) -> None:
    request = (await state.get_data()).get("walkin")
    gate = next(
        (g for g in await community_gates(session, community.id) if g.id == callback_data.gate_id),
        None,
    )
    if not isinstance(request, dict) or gate is None:
        await answer_query(query, _("This button is no longer active."), alert=True)
        await drop_buttons(query)
        return
    await state.update_data(walkin=None)
    await drop_buttons(query)
    await answer_query(query)
    await _ring(query, app, gate, request, identity, locale)
