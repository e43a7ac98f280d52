"""A resident answers a walk-in or an intercom call from the gate.

1. The ringing message (``walkin_notifier``): the photo, who is there, and
   ✅ Let in once / ✖️ Refuse / 🔕 Mute gate calls for an hour.
2. Let in once → the first answer of the household wins: the gate opens (as a remote
   opening does) and the terminal shows "let in"; the reply says opened, or that the
   door did not respond (staff are alerted).
3. Refuse → the terminal shows "refused"; that gate cannot ring the home again at once.
4. A second resident, or anyone after the time is up, is told who decided or that the
   call has ended; a button for a home the presser does not live in is refused and
   audited; garbled button data is answered "no longer active" (no handler matches).
5. 🔕 Mute → no gate calls to the home for an hour (the terminal is told the household
   is not taking calls); 🔔 Unmute under the confirmation turns them back on.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.verification import DoorOutcome
from access.walkins.service import Outcome, Verdict, WalkinDesk
from bot.context import AppContext
from core.formatting import fmt_time
from core.identity import Identity
from handlers.gate.walkin_texts import WalkinCb, outcome_line
from handlers.kit import answer_query, drop_buttons, private_router, refuse_foreign, reply

router = private_router("gate.walkin_answer")


def _desk(app: AppContext) -> WalkinDesk:
    desk = app.gate.walkins
    assert desk is not None  # built with the gate runtime (bot.services.build_gate)
    return desk


async def not_your_home(
    query: CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    target: tuple[str, int],
    community_id: int | None = None,
) -> None:
    """A call's button, or a home's mute, pressed by someone who does not live there."""
    kind, target_id = target
    text = (
        _("This call is not for your home.")
        if kind == "gate_walkin"
        else _("That home is not yours.")
    )
    await refuse_foreign(
        query,
        session,
        identity,
        "access.walkin_answer",
        text,
        target_type=kind,
        target_id=target_id,
        community_id=community_id,
    )


@router.callback_query(WalkinCb.filter(F.action.in_({"in", "no"})), StateFilter("*"))
async def answer_call(
    query: CallbackQuery,
    callback_data: WalkinCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    if identity.person_id is None:
        await answer_query(query, _("This button is no longer active."), alert=True)
        return
    verdict = Verdict.LET_IN if callback_data.action == "in" else Verdict.REFUSE
    answer = await _desk(app).answer(callback_data.call_id, identity.person_id, verdict)
    call = answer.call
    if answer.outcome == Outcome.GONE or call is None:
        await answer_query(query, _("This button is no longer active."), alert=True)
        await drop_buttons(query)
        return
    if answer.outcome == Outcome.NOT_YOURS:
        await not_your_home(query, session, identity, ("gate_walkin", call.id), call.community_id)
        return
    await drop_buttons(query)
    if answer.outcome == Outcome.ENDED:
        await answer_query(query, _("This call has ended."), alert=True)
        return
    if answer.outcome == Outcome.TAKEN:
        await answer_query(query, outcome_line(call, locale), alert=True)
        return
    door = answer.decision.door if answer.decision else None
    if door == DoorOutcome.FAILED:
        text = _(
            "⚠️ The gate did not respond, so <b>{gate}</b> may still be locked. "
            "Staff have been alerted."
        ).format(gate=escape(call.gate_name))
    elif answer.decision is not None and not answer.decision.granted:
        text = _("The gate was not opened: it is not taking openings now.")
    else:
        text = outcome_line(call, locale)
    await reply(query, text)


@router.callback_query(WalkinCb.filter(F.action.in_({"mute", "unmute"})), StateFilter("*"))
async def mute_calls(
    query: CallbackQuery,
    callback_data: WalkinCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    desk = _desk(app)
    call = await desk.call(callback_data.call_id)
    if call is None or identity.person_id is None:
        await answer_query(query, _("This button is no longer active."), alert=True)
        return
    if not await desk.resides(identity.person_id, call):
        await not_your_home(query, session, identity, ("gate_walkin", call.id), call.community_id)
        return
    unit = escape(call.unit_label)
    if callback_data.action == "unmute":
        await desk.mute(call.unit_id, identity.person_id, None)
        await drop_buttons(query)
        await reply(query, _("🔔 Gate calls to {unit} are back on.").format(unit=unit))
        return
    until = await desk.mute(call.unit_id, identity.person_id, desk.policy.mute_s)
    assert until is not None
    unmute = InlineKeyboardButton(
        text=_("🔔 Unmute"),
        callback_data=WalkinCb(action="unmute", call_id=call.id).pack(),
    )
    await reply(
        query,
        _(
            "🔕 Gate calls to {unit} are muted until {time}. Visitors at the gate are "
            "asked to call you another way or see the guard."
        ).format(unit=unit, time=fmt_time(until, call.timezone, locale)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[unmute]]),
    )
