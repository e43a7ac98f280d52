"""The steps both pass conversations share, before their own.

1. The flow starts from its menu button or command, in any state (the conversation
   before it ends); only residents of a home whose community has gates go on.
2. Which home: a resident of several such homes picks one (``unit``); then the
   flow's own first step.
3. Each step asks its question with its buttons and Cancel (:func:`ask`); a typed
   answer is one line (:func:`read_line`); anything else, a command included, gets
   the step's re-ask (:func:`reask`).
4. Cancel, from any step: nothing was saved.
The gates and the confirm step both flows end with are in ``gate_step``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n.lazy_proxy import LazyProxy
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo
from access.lookups import gated_communities
from access.passes import IssuedPass, PassError
from bot.context import AppContext
from core.identity import Identity, UnitMembership
from core.models import Community
from handlers.gate.keyboards import PassCb, button, with_cancel
from handlers.gate.states import DailyHelp, DeliveryPass, Invite, WorkerRequest
from handlers.gate.texts import for_residents_only, home_gone, pass_error_text
from handlers.gate.views import hand_over
from handlers.kit import private_router, read_text, refuse_foreign, reply

router = private_router("gate.pass_steps")

#: A typed answer that is a command (``/passes``) is not an answer to the step.
NOT_A_COMMAND = ~F.text.startswith("/")


@dataclass(frozen=True)
class Home:
    unit: UnitMembership
    community: Community
    gates: list[GateInfo]


async def homes(session: AsyncSession, identity: Identity) -> list[Home]:
    """The resident's homes whose community has gates."""
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


async def chosen_home(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> Home | None:
    """The home the flow is for; if it is gone, the flow ends and says so."""
    found = await home(session, identity, (await state.get_data())["unit_id"])
    if found is None:
        await state.clear()
        await reply(event, home_gone())
    return found


@dataclass(frozen=True)
class Making:
    """What a flow's last step makes the pass from: the home, who, and the answers."""

    home: Home
    person_id: int
    data: dict[str, Any]


async def making(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> Making | None:
    """The flow's last step begins: its home (gone: the flow ends and says so), the
    resident and the conversation's answers."""
    found = await chosen_home(query, state, session, identity)
    if found is None:
        return None
    assert identity.person_id is not None
    return Making(found, identity.person_id, await state.get_data())


async def nothing_saved(
    query: CallbackQuery, state: FSMContext, exc: PassError, command: str
) -> None:
    """The service refused what the flow was about to make: the flow ends, and says why
    and that nothing was saved."""
    await state.clear()
    await reply(
        query,
        pass_error_text(exc)
        + "\n"
        + _("Nothing was saved; please start again with {command}.").format(command=command),
    )


# How a flow makes its pass from the answers (and the pressed button's value).
Make = Callable[[Making, str, AsyncSession, AppContext], Awaitable[IssuedPass]]


def on_create(router: Router, step: State, button_filter: Any, command: str, make: Make) -> Any:
    """Register the flow's last step: the button at ``step`` makes the pass (``make``)
    in the update's transaction and hands it to the host; a refusal ends the flow with
    nothing saved (see :func:`nothing_saved`)."""

    @router.callback_query(step, button_filter)
    async def create(
        query: CallbackQuery,
        callback_data: PassCb,
        state: FSMContext,
        session: AsyncSession,
        identity: Identity,
        app: AppContext,
    ) -> None:
        made = await making(query, state, session, identity)
        if made is None:
            return
        try:
            issued = await make(made, callback_data.value, session, app)
        except PassError as exc:
            await nothing_saved(query, state, exc, command)
            return
        await state.clear()
        home = made.home
        await hand_over(query, session, app, identity.locale, issued, home.community, home.gates)

    return create


async def resident_asking(
    event: Message | CallbackQuery, state: FSMContext, identity: Identity
) -> int | None:
    """A new request from the menu or a command: the conversation before it ends.
    The resident's person id, or None (told this is for residents)."""
    await state.clear()
    if identity.person_id is None or not identity.is_resident:
        await reply(event, for_residents_only())
        return None
    return identity.person_id


# The flow's first step for the chosen home (stored in the conversation already).
Begin = Callable[[Message | CallbackQuery, FSMContext, Home], Awaitable[None]]


async def _begin_for(
    event: Message | CallbackQuery, state: FSMContext, found: Home, begin: Begin
) -> None:
    await state.update_data(
        unit_id=found.unit.unit_id, unit_label=found.unit.unit_label, tz=found.community.timezone
    )
    await begin(event, state, found)


def flow_entry(router: Router, *, menu: str, command: str, ask_home: State, begin: Begin) -> None:
    """Register the flow's start (menu button ``menu:<menu>``, ``/<command>``, in any
    state) and its home choice (step ``ask_home``), both going on with ``begin``."""

    @router.callback_query(F.data == f"menu:{menu}", StateFilter("*"))
    @router.message(Command(command), StateFilter("*"))
    async def start(
        event: Message | CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        identity: Identity,
    ) -> None:
        if await resident_asking(event, state, identity) is None:
            return
        found = await homes(session, identity)
        if not found:
            await reply(
                event,
                _(
                    "Your community has no gates set up in Courtyard yet. Please ask the "
                    "property office."
                ),
            )
        elif len(found) == 1:
            await _begin_for(event, state, found[0], begin)
        else:
            rows = [[button(f"🏠 {h.unit.unit_label}", "unit", h.unit.unit_id)] for h in found]
            await ask(event, state, ask_home, _("For which home?"), *rows)

    @router.callback_query(ask_home, PassCb.numbered("unit"))
    async def unit_chosen(
        query: CallbackQuery,
        callback_data: PassCb,
        state: FSMContext,
        session: AsyncSession,
        identity: Identity,
    ) -> None:
        found = await home(session, identity, int(callback_data.value))
        if found is None:
            await refuse_foreign(
                query,
                session,
                identity,
                "home.use",
                _("That home is no longer available."),
                target_type="unit",
                target_id=callback_data.value,
            )
            return
        await _begin_for(query, state, found, begin)


async def ask(
    event: Message | CallbackQuery,
    state: FSMContext,
    step: State,
    text: str,
    *rows: list[InlineKeyboardButton],
) -> None:
    """Go to ``step`` and ask its question, with its buttons and Cancel under them."""
    await state.set_state(step)
    await reply(event, text, reply_markup=with_cancel(*rows))


async def read_line(message: Message, *, max_len: int, min_len: int = 1) -> str | None:
    """A typed one-line answer, runs of spaces and line breaks folded; the kit re-asks
    when it is too short or too long (None)."""
    text = await read_text(message, max_len=max_len, min_len=min_len)
    return None if text is None else " ".join(text.split())


def reask(router: Router, *steps: State, text: LazyProxy) -> None:
    """Register, after the steps' own handlers, the answer to anything else sent at
    ``steps``: ``text`` says what the step wants, and the step stays."""

    async def again(message: Message) -> None:
        await message.answer(str(text))

    for step in steps:
        router.message(step)(again)


reask(
    router,
    Invite.unit,
    WorkerRequest.unit,
    DeliveryPass.unit,
    DailyHelp.unit,
    text=__("Please choose the home with the buttons above, or send /cancel."),
)


@router.callback_query(PassCb.filter(F.action == "abort"), StateFilter("*"))
async def abort(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(_("Cancelled. Nothing was saved."))
