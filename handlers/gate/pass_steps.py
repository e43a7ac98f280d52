"""The steps both pass conversations share.

1. Which home: a resident of several homes with gates picks one (``unit``).
2. Which gates: all, or some of the home's gates (toggled, then Done); a home with
   one gate skips the question.
3. The re-asks of the unit, gates and confirm steps, and Cancel, for both flows.

Each flow passes in its own next step (what to do with the chosen home, how to
show its summary), so the shared steps know nothing of what is being made.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo
from access.lookups import gated_communities
from core.identity import Identity, UnitMembership
from core.models import Community
from handlers.gate.keyboards import PassCb, button, with_cancel
from handlers.gate.states import Invite, WorkerRequest
from handlers.gate.texts import for_residents_only, home_gone
from handlers.kit import private_router, reply

router = private_router("gate.pass_steps")


# --- where the resident lives, and which gates that has -----------------------------


@dataclass(frozen=True)
class Home:
    unit: UnitMembership
    community: Community
    gates: list[GateInfo]


async def homes(session: AsyncSession, identity: Identity) -> list[Home]:
    gated = await gated_communities(session, (unit.community_id for unit in identity.units))
    return [
        Home(unit, gated[unit.community_id].community, gated[unit.community_id].gates)
        for unit in identity.units
        if unit.community_id in gated
    ]


async def home(session: AsyncSession, identity: Identity, unit_id: int) -> Home | None:
    for found in await homes(session, identity):
        if found.unit.unit_id == unit_id:
            return found
    return None


async def start_with_home(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    ask_home: State,
) -> Home | None:
    """Pick the home for the flow; ask when there are several. None: asked or refused."""
    await state.clear()
    if not identity.is_resident:
        await reply(event, for_residents_only())
        return None
    found = await homes(session, identity)
    if not found:
        await reply(
            event,
            _(
                "Your community has no gates set up in Courtyard yet. Please ask the property "
                "office."
            ),
        )
        return None
    if len(found) == 1:
        return found[0]
    await state.set_state(ask_home)
    rows = [[button(f"🏠 {h.unit.unit_label}", "unit", h.unit.unit_id)] for h in found]
    await reply(event, _("For which home?"), reply_markup=with_cancel(*rows))
    return None


async def chosen_home(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> Home | None:
    """The home the flow is for; if it is gone, the flow ends and says so."""
    found = await home(session, identity, (await state.get_data())["unit_id"])
    if found is None:
        await state.clear()
        await reply(event, home_gone())
    return found


@router.message(Invite.unit)
@router.message(WorkerRequest.unit)
async def unit_reask(message: Message) -> None:
    await message.answer(_("Please choose the home with the buttons above, or send /cancel."))


@router.callback_query(PassCb.filter(F.action == "abort"), StateFilter("*"))
async def abort(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(_("Cancelled. Nothing was saved."))


# --- which gates ---------------------------------------------------------------------------

# A flow's last step: show what is about to be made (dates in the person's own locale).
Confirm = Callable[[Message | CallbackQuery, FSMContext, Home, str | None], Awaitable[None]]


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
    confirm: Confirm,
) -> None:
    found = await chosen_home(event, state, session, identity)
    if found is None:
        return
    await state.update_data(gate_ids=[])
    if len(found.gates) == 1:
        await confirm(event, state, found, identity.locale)
        return
    await state.set_state(step)
    await reply(
        event, _("Which gates may they use?"), reply_markup=_gates_keyboard(found.gates, [])
    )


@router.callback_query(
    StateFilter(Invite.gates, WorkerRequest.gates),
    PassCb.filter(F.action.in_({"gate", "gate_all"})),
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
        if len(chosen) == len(found.gates):
            chosen = []
    await state.update_data(gate_ids=sorted(chosen))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=_gates_keyboard(found.gates, chosen))


@router.message(Invite.gates)
@router.message(WorkerRequest.gates)
async def gates_reask(message: Message) -> None:
    await message.answer(_("Please choose the gates with the buttons, then press Done."))


@router.message(Invite.confirm)
@router.message(WorkerRequest.confirm)
async def confirm_reask(message: Message) -> None:
    await message.answer(_("Please confirm with the button above, or send /cancel."))
