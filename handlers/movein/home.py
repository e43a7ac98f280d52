"""Applying to move in: choosing the home.

1. "Apply with my documents": drafts of an earlier attempt are dropped.
2. Community (skipped when there is only one), from paginated buttons.
3. Building, paginated; Back to the communities.
4. Floor, only in a building with more units than one page and several floors.
5. Unit, paginated; refused if the person already lives there or has applied.
6. Who are you in this home? (:mod:`.details`); Back to the units.

Each list pages with ◀ ▶ and goes Back one step, always on the same message.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.movein.homes import building_in_community, get_community, unit_in_building
from core.residents import (
    ResidentsError,
    buildings_page,
    check_can_apply,
    clear_drafts,
    communities_page,
    count_units_in_building,
    floors_of_building,
    units_page,
)
from handlers.kit import private_router, reply
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.views import paged, person_id, role_keyboard, show

router = private_router("movein.home")

COMMUNITY_PAGE = 8
BUILDING_PAGE = 24
UNIT_PAGE = 24
NO_FLOOR = -1000  # callback value for units without a floor

# A page of a list: (the button's query, the conversation, session, page number).
ShowPage = Callable[[CallbackQuery, FSMContext, AsyncSession, int], Awaitable[None]]


@router.callback_query(MvCb.filter(F.action == "apply"), StateFilter("*"))
async def start_application(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await clear_drafts(session, person_id(identity))
    await state.set_state(MoveIn.community)
    await state.set_data({"mode": "apply", "acceptances": []})
    items, total = await communities_page(session, 0, COMMUNITY_PAGE)
    if total == 0:
        await state.clear()
        await reply(
            query, _("No community accepts applications here yet. Please ask your property office.")
        )
        return
    if total == 1:
        await state.update_data(single_community=True)
        await _choose_community(query, state, session, items[0].id)
        return
    await _show_communities(query, state, session, 0)


async def _show_communities(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    items, total = await communities_page(session, page * COMMUNITY_PAGE, COMMUNITY_PAGE)
    choices = [(c.label, c.id) for c in items]
    await show(
        query,
        _("Which community do you live in?"),
        paged(choices, page=page, per_page=COMMUNITY_PAGE, columns=1, pick="c", total=total),
    )


@router.callback_query(MvCb.filter(F.action == "c"), MoveIn.community)
async def community_chosen(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    await _choose_community(query, state, session, callback_data.id)


async def _choose_community(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, community_id: int
) -> None:
    community = await get_community(session, community_id)
    if community is None:
        await reply(query, _("This community is no longer available."), alert=True)
        return
    await state.update_data(community_id=community.id, community_name=community.name)
    await _open(query, state, session, MoveIn.building)


async def _show_buildings(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    data = await state.get_data()
    items, total = await buildings_page(
        session, int(data["community_id"]), page * BUILDING_PAGE, BUILDING_PAGE
    )
    back = None if data.get("single_community") else "back_c"
    await show(
        query,
        _("{community}: which building?").format(community=html.escape(data["community_name"])),
        paged(
            [(b.label, b.id) for b in items],
            page=page,
            per_page=BUILDING_PAGE,
            columns=3,
            pick="b",
            back=back,
            total=total,
        ),
    )


@router.callback_query(MvCb.filter(F.action == "b"), MoveIn.building)
async def building_chosen(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    building = await building_in_community(session, callback_data.id, data.get("community_id"))
    if building is None:
        await reply(query, _("This building is no longer available."), alert=True)
        return
    await state.update_data(building_id=building.id, building_name=building.name)
    floors = await floors_of_building(session, building.id)
    by_floor = await count_units_in_building(session, building.id) > UNIT_PAGE and len(floors) > 1
    await state.update_data(by_floor=by_floor, floor=None)
    await _open(query, state, session, MoveIn.floor if by_floor else MoveIn.unit)


def _floor_label(floor: int | None) -> str:
    if floor is None:
        return _("Other")
    return _("Floor {n}").format(n=floor)


async def _show_floors(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    data = await state.get_data()
    floors = await floors_of_building(session, int(data["building_id"]))
    choices = [(_floor_label(f), NO_FLOOR if f is None else f) for f in floors]
    await show(
        query,
        _("{building}: which floor?").format(building=html.escape(data["building_name"])),
        paged(choices, page=page, per_page=BUILDING_PAGE, columns=4, pick="f", back="back_b"),
    )


@router.callback_query(MvCb.filter(F.action == "f"), MoveIn.floor)
async def floor_chosen(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    await state.update_data(floor=None if callback_data.id == NO_FLOOR else callback_data.id)
    await _open(query, state, session, MoveIn.unit)


async def _show_units(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    data = await state.get_data()
    by_floor = bool(data.get("by_floor"))
    items, total = await units_page(
        session,
        int(data["building_id"]),
        page * UNIT_PAGE,
        UNIT_PAGE,
        floor=data.get("floor"),
        by_floor=by_floor,
    )
    title = html.escape(data["building_name"])
    if by_floor:
        title += " · " + _floor_label(data.get("floor"))
    await show(
        query,
        _("{where}: which unit?").format(where=title),
        paged(
            [(u.label, u.id) for u in items],
            page=page,
            per_page=UNIT_PAGE,
            columns=4,
            pick="u",
            back="back_f" if by_floor else "back_b",
            total=total,
        ),
    )


@router.callback_query(MvCb.filter(F.action == "u"), MoveIn.unit)
async def unit_chosen(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    data = await state.get_data()
    unit = await unit_in_building(session, callback_data.id, data.get("building_id"))
    if unit is None:
        await reply(query, _("This unit is no longer available."), alert=True)
        return
    try:
        await check_can_apply(session, person_id(identity), unit.id)
    except ResidentsError as exc:
        text = (
            _("You are already registered in {unit}.")
            if exc.code == "already_member"
            else _("You have already applied for {unit}; the property office is reviewing it.")
        )
        await reply(query, text.format(unit=unit.label), alert=True)
        return
    await state.update_data(unit_id=unit.id, unit_label=unit.label)
    await state.set_state(MoveIn.role)
    await show(
        query,
        _("{community} · {unit}\nWho are you in this home?").format(
            community=html.escape(data["community_name"]), unit=html.escape(unit.label)
        ),
        role_keyboard(back=True),
    )


# --- turning pages and going back (each list's buttons only work on its own step) ---

# Each list's step, by the action of its buttons (its pages turn with action + "p").
_LISTS: dict[str, tuple[State, ShowPage]] = {
    "c": (MoveIn.community, _show_communities),
    "b": (MoveIn.building, _show_buildings),
    "f": (MoveIn.floor, _show_floors),
    "u": (MoveIn.unit, _show_units),
}
_BY_STATE = {step.state: show_page for step, show_page in _LISTS.values()}


async def _open(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, step: State
) -> None:
    """Go to ``step`` and show the first page of its list."""
    await state.set_state(step)
    await _BY_STATE[step.state](query, state, session, 0)


@router.callback_query(MvCb.filter(F.action == "cp"), MoveIn.community)
@router.callback_query(MvCb.filter(F.action == "bp"), MoveIn.building)
@router.callback_query(MvCb.filter(F.action == "fp"), MoveIn.floor)
@router.callback_query(MvCb.filter(F.action == "up"), MoveIn.unit)
async def turn_page(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    _, show_page = _LISTS[callback_data.action[0]]
    await show_page(query, state, session, callback_data.page)


@router.callback_query(MvCb.filter(F.action == "back_c"), MoveIn.building)
@router.callback_query(MvCb.filter(F.action == "back_b"), MoveIn.floor)
@router.callback_query(MvCb.filter(F.action == "back_b"), MoveIn.unit)
@router.callback_query(MvCb.filter(F.action == "back_f"), MoveIn.unit)
@router.callback_query(MvCb.filter(F.action == "back_u"), MoveIn.role)
async def go_back(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    step, _ = _LISTS[callback_data.action.removeprefix("back_")]
    await _open(query, state, session, step)
