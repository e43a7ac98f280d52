"""A resident opens a gate of their community from the chat.

1. ``/opengate`` or 🚪: the gates of the resident's communities, one button each.
2. A gate → "Open it now?" with a button that expires after :data:`CONFIRM_TTL_S`.
3. Open now → the gate runtime decides and commands the door (rate limits and
   gate state apply, as at the gate); the answer says opened, door failed (staff are
   alerted), wait (too many openings), or why not.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.verification import DoorOutcome, Method, Reason
from bot.context import AppContext
from core.formatting import fmt_duration
from core.identity import Identity
from handlers.gate.keyboards import PassCb, button, keyboard
from handlers.gate.pass_steps import homes, resident_asking
from handlers.gate.texts import reason_label
from handlers.kit import (
    answer_query,
    button_ints,
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    reply,
    residents,
)

router = private_router("gate.remote_open")

menu_entry("passes_open", __("🚪 Open a gate"), residents, order=32)
private_command("opengate", __("Open a gate"), order=32)

# A remote-open confirmation older than this is refused: an old button must not
# open the gate for whoever happens to be standing there now.
CONFIRM_TTL_S = 120


@router.callback_query(F.data == "menu:passes_open", StateFilter("*"))
@router.message(Command("opengate"), StateFilter("*"))
async def open_choose(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    if await resident_asking(event, state, identity) is None:
        return
    found = await homes(session, identity)
    seen: set[int] = set()
    rows: list[list[InlineKeyboardButton]] = []
    for home in found:
        for gate in home.gates:
            if gate.id in seen:
                continue
            seen.add(gate.id)
            label = gate.name if len(found) == 1 else f"{gate.name} · {home.community.name}"
            rows.append([button(f"🚪 {label}", "open_pick", gate.id)])
    if not rows:
        await reply(event, _("Your community has no gates set up in Courtyard yet."))
        return
    await reply(event, _("Which gate should I open?"), reply_markup=keyboard(rows))


@router.callback_query(PassCb.numbered("open_pick"), StateFilter("*"))
async def open_confirm(
    query: CallbackQuery,
    callback_data: PassCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    gate_id = int(callback_data.value)
    gate = next(
        (g for h in await homes(session, identity) for g in h.gates if g.id == gate_id), None
    )
    if gate is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "access.open",
            _("That gate is not available to you."),
            target_type="gate",
            target_id=gate_id,
        )
        return
    stamp = int(app.clock.now().timestamp())
    await reply(
        query,
        _("Open <b>{gate}</b> now? Only open it for someone you can see or expect.").format(
            gate=escape(gate.name)
        ),
        reply_markup=keyboard(
            [
                [
                    button(_("🔓 Open now"), "open_go", f"{gate.id}.{stamp}"),
                    button(_("Cancel"), "open_no"),
                ]
            ]
        ),
    )


@router.callback_query(PassCb.filter(F.action == "open_no"), StateFilter("*"))
async def open_no(query: CallbackQuery) -> None:
    await query.answer(_("Not opened."))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


@router.callback_query(PassCb.filter(F.action == "open_go"), StateFilter("*"))
async def open_go(
    query: CallbackQuery, callback_data: PassCb, identity: Identity, app: AppContext, locale: str
) -> None:
    gate_id, stamp = button_ints(callback_data.value, ".", 2)
    if identity.person_id is None:
        await query.answer()
        return
    if app.clock.now().timestamp() - stamp > CONFIRM_TTL_S:
        await query.answer(_("This button has expired. Choose the gate again."), show_alert=True)
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    runtime = app.gate
    decision = await runtime.open_gate(gate_id, identity.person_id, Method.REMOTE)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if decision is None:
        await query.answer(_("That gate no longer exists."), show_alert=True)
        return
    gate = await runtime.gates.get(decision.gate_id)
    name = escape(gate.name) if gate else ""
    if decision.granted and decision.door == DoorOutcome.FAILED:
        await reply(
            query,
            _(
                "⚠️ The gate did not respond, so <b>{gate}</b> may still be locked. "
                "Staff have been alerted."
            ).format(gate=name),
        )
    elif decision.granted:
        await answer_query(query, _("Opened."))
        if isinstance(query.message, Message):
            await query.message.answer(_("🔓 <b>{gate}</b> is open.").format(gate=name))
    elif decision.reason == Reason.RATE_LIMITED:
        wait = fmt_duration(timedelta(seconds=runtime.policy.remote_window_s), locale)
        await reply(
            query,
            _(
                "You have opened gates many times in a short while. For safety, "
                "please wait up to {wait} and try again, or call the guard."
            ).format(wait=wait),
        )
    else:
        reason = reason_label(decision.reason)
        await reply(query, _("Not opened: {reason}.").format(reason=reason), alert=True)
