"""The last two steps the pass conversations share (visitor, worker, daily help).

1. Which gates: all, or some of the home's gates (toggled, then Done); a home with
   one gate skips the question.
2. Confirm: the summary of what is about to be made (the visitor pass, or the worker
   request) with Create / Send for approval; the flow's own handler makes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.filters import StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n.lazy_proxy import LazyProxy
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo
from core.identity import Identity
from handlers.gate.keyboards import PassCb, button, with_cancel
from handlers.gate.pass_steps import Home, ask, chosen_home, home, reask
from handlers.gate.states import DailyHelp, Invite, WorkerRequest
from handlers.gate.texts import gate_names
from handlers.gate.views import help_summary, visitor_summary, worker_summary
from handlers.kit import private_router, refuse_foreign, reply

router = private_router("gate.gate_step")

Summary = Callable[[dict[str, Any], str, str | None], list[str]]

# Each flow's gates step → (its confirm step, the summary's title, the summary of the
# conversation's data, the button that makes it).
_CONFIRM: dict[str | None, tuple[State, LazyProxy, Summary, LazyProxy]] = {
    Invite.gates.state: (
        Invite.confirm,
        __("Please check the pass:"),
        visitor_summary,
        __("✅ Create the pass"),
    ),
    WorkerRequest.gates.state: (
        WorkerRequest.confirm,
        __("Please check the request:"),
        worker_summary,
        __("📨 Send for approval"),
    ),
    DailyHelp.gates.state: (
        DailyHelp.confirm,
        __("Please check the pass:"),
        help_summary,
        __("✅ Create the pass"),
    ),
}


def _gates_keyboard(gates: list[GateInfo], chosen: list[int]) -> InlineKeyboardMarkup:
    rows = [[button(("✅ " if not chosen else "▫️ ") + _("All gates"), "gate_all")]]
    for gate in gates:
        mark = "✅ " if gate.id in chosen else "▫️ "
        rows.append([button(mark + gate.name, "gate", gate.id)])
    rows.append([button(_("Done ➡️"), "gates_done")])
    return with_cancel(*rows)


async def ask_gates(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    step: State,
) -> None:
    """The flow's gates step ``step`` (``Invite.gates``, ``WorkerRequest.gates`` or
    ``DailyHelp.gates``)."""
    found = await chosen_home(event, state, session, identity)
    if found is None:
        return
    await state.update_data(gate_ids=[])
    await state.set_state(step)
    if len(found.gates) == 1:
        await _confirm(event, state, found, identity.locale)
        return
    markup = _gates_keyboard(found.gates, [])
    await reply(event, _("Which gates may they use?"), reply_markup=markup)


@router.callback_query(
    StateFilter(Invite.gates, WorkerRequest.gates, DailyHelp.gates),
    or_f(PassCb.filter(F.action == "gate_all"), PassCb.numbered("gate")),
)
async def toggle_gate(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    data = await state.get_data()
    found = await home(session, identity, data["unit_id"])
    if found is None:
        await query.answer()
        return
    chosen: list[int] = list(data.get("gate_ids") or [])
    if callback_data.action == "gate_all":
        chosen = []
    else:
        gate_id = int(callback_data.value)
        if gate_id in chosen:
            chosen.remove(gate_id)
        elif any(g.id == gate_id for g in found.gates):
            chosen.append(gate_id)
        else:
            await refuse_foreign(
                query,
                session,
                identity,
                "home.use",
                _("That gate is not available to you."),
                target_type="gate",
                target_id=gate_id,
            )
            return
        if len(chosen) == len(found.gates):
            chosen = []
    await state.update_data(gate_ids=sorted(chosen))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=_gates_keyboard(found.gates, chosen))


@router.callback_query(
    StateFilter(Invite.gates, WorkerRequest.gates, DailyHelp.gates),
    PassCb.filter(F.action == "gates_done"),
)
async def gates_done(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    found = await chosen_home(query, state, session, identity)
    if found is not None:
        await _confirm(query, state, found, identity.locale)


async def _confirm(
    event: Message | CallbackQuery, state: FSMContext, found: Home, locale: str | None
) -> None:
    """The summary, dates in the person's own locale, and the button that makes it."""
    step, title, summary, make = _CONFIRM[await state.get_state()]
    data = await state.get_data()
    lines = [
        str(title),
        *summary(data, found.community.timezone, locale),
        _("Gates: {gates}").format(gates=gate_names(found.gates, data.get("gate_ids") or [])),
    ]
    await ask(event, state, step, "\n".join(lines), [button(str(make), "create")])


reask(
    router,
    Invite.gates,
    WorkerRequest.gates,
    DailyHelp.gates,
    text=__("Please choose the gates with the buttons, then press Done."),
)


reask(
    router,
    Invite.confirm,
    WorkerRequest.confirm,
    DailyHelp.confirm,
    text=__("Please confirm with the button above, or send /cancel."),
)
