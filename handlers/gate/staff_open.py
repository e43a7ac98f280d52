"""Staff open a gate from the admin group, and clear a keypad lock-out.

1. ``/open GATE`` (``access.open``): the named gate opens; without a name, or
   with a name no gate has, the gates are offered as buttons.
2. A gate button opens that gate. Every opening is audited, allowed or not; the
   reply says opened (by whom), door did not respond, or why not.
3. 🔓 Clear the lock-out (``access.clear_lockout``), on a lock-out alert (``notifier``):
   the gate's keypad
   takes codes again; the alert says who cleared it.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo, community_gates, gate_by_name
from access.verification import DoorOutcome, Method
from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from handlers.gate.audit import audit
from handlers.gate.keyboards import GateAlertCb, StaffOpenCb
from handlers.gate.texts import reason_label
from handlers.gate.views import close_card
from handlers.kit import admin_router, group_command, refuse_foreign

router = admin_router("gate.staff_open")

group_command("open", __("Open a gate: /open GATE"), order=40)


async def _open(
    event: Message | CallbackQuery,
    gate: GateInfo,
    community: Community,
    identity: Identity,
    app: AppContext,
    session: AsyncSession,
) -> None:
    assert identity.person_id is not None
    decision = await app.gate.open_gate(gate.id, identity.person_id, Method.STAFF)
    await audit(
        session,
        "access.staff_open",
        community,
        identity,
        target=("gate", gate.id),
        allowed=bool(decision and decision.granted),
        details={"reason": decision.reason.value if decision else "gone"},
    )
    name = escape(gate.name)
    if decision is None:
        text = _("That gate no longer exists.")
    elif decision.granted and decision.door == DoorOutcome.FAILED:
        text = _("⚠️ {gate}: the door did not respond. Please open it by hand.").format(gate=name)
    elif decision.granted:
        text = _("🔓 {gate} opened by {staff}.").format(gate=name, staff=escape(identity.full_name))
    else:
        text = _("{gate} was not opened: {reason}.").format(
            gate=name, reason=reason_label(decision.reason.value)
        )
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            await event.message.answer(text)
    else:
        await event.reply(text)


@router.message(Command("open"), flags={"staff": "access.open"})
async def open_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    name = (command.args or "").strip()
    if name:
        gate = await gate_by_name(session, community.id, name)
        if gate is not None:
            await _open(message, gate, community, identity, app, session)
            return
    gates = await community_gates(session, community.id)
    if not gates:
        await message.reply(_("This community has no gates yet (`courtyard gate add`)."))
        return
    rows = [
        [InlineKeyboardButton(text=f"🚪 {g.name}", callback_data=StaffOpenCb(gate_id=g.id).pack())]
        for g in gates
    ]
    prompt = (
        _("There is no gate named “{name}”. Which one?").format(name=escape(name))
        if name
        else _("Which gate?")
    )
    await message.reply(prompt, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(StaffOpenCb.filter(), flags={"staff": "access.open"})
async def open_button(
    query: CallbackQuery,
    callback_data: StaffOpenCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    gate = next(
        (g for g in await community_gates(session, community.id) if g.id == callback_data.gate_id),
        None,
    )
    if gate is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "access.staff_open",
            _("That gate no longer exists."),
            target_type="gate",
            target_id=callback_data.gate_id,
            community_id=community.id,
        )
        return
    await _open(query, gate, community, identity, app, session)


@router.callback_query(
    GateAlertCb.filter(F.action == "clear"), flags={"staff": "access.clear_lockout"}
)
async def clear_lockout(
    query: CallbackQuery,
    callback_data: GateAlertCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    gates = await community_gates(session, community.id, active_only=False)
    if not any(g.id == callback_data.gate_id for g in gates):
        await refuse_foreign(
            query,
            session,
            identity,
            "access.clear_lockout",
            _("That gate no longer exists."),
            target_type="gate",
            target_id=callback_data.gate_id,
            community_id=community.id,
        )
        return
    await app.gate.reset_throttle(callback_data.gate_id)
    await audit(
        session, "access.clear_lockout", community, identity, target=("gate", callback_data.gate_id)
    )
    await query.answer(_("Lock-out cleared."))
    await close_card(query, _("🔓 Cleared by {name}.").format(name=escape(identity.full_name)))
