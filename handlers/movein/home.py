"""Applying to move in: choosing the home.

1. "Apply with my documents": drafts of an earlier attempt are dropped.
2. Community (skipped when there is only one), from paginated buttons.
3. Building, paginated; Back to the communities.
4. Floor, only in a building with more units than one page and several floors.
5. Unit, paginated; refused if the person already lives there or has applied.
6. Who are you in this home? (:mod:`.details`).
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.movein.homes import building_in_community, get_community
from core.residents import (
    ResidentsError,
    buildings_page,
    check_can_apply,
    clear_drafts,
    communities_page,
    count_units_in_building,
    floors_of_building,
    load_unit,
    units_page,
)
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.views import chat, paged, person_id, role_keyboard, show

router = Router(name="movein.home")
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

COMMUNITY_PAGE = 8
BUILDING_PAGE = 24
UNIT_PAGE = 24
NO_FLOOR = -1000  # callback value for units without a floor


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
        await query.answer()
        await chat(query).answer(
            _("No community accepts applications here yet. Please ask your property office.")
        )
        return
    if total == 1:
        await state.update_data(single_community=True)
        await _choose_community(query, state, session, items[0].id)
        return
    await _show_communities(query, session, 0)


async def _show_communities(
    target: Message | CallbackQuery, session: AsyncSession, page: int
) -> None:
    items, total = await communities_page(session, page * COMMUNITY_PAGE, COMMUNITY_PAGE)
    await show(
        target,
        _("Which community do you live in?"),
        paged([(c.label, c.id) for c in items], total, page, COMMUNITY_PAGE, 1, "c", "cp"),
    )


@router.callback_query(MvCb.filter(F.action == "cp"), MoveIn.community)
async def communities_turn(
    query: CallbackQuery, callback_data: MvCb, session: AsyncSession
) -> None:
    await _show_communities(query, session, callback_data.page)


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
        await query.answer(_("This community is no longer available."), show_alert=True)
        return
    await state.update_data(community_id=community.id, community_name=community.name)
    await state.set_state(MoveIn.building)
    await _show_buildings(query, state, session, 0)


async def _show_buildings(
    target: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    data = await state.get_data()
    items, total = await buildings_page(
        session, int(data["community_id"]), page * BUILDING_PAGE, BUILDING_PAGE
    )
    back = None if data.get("single_community") else "back_c"
    await show(
        target,
        _("{community}: which building?").format(community=html.escape(data["community_name"])),
        paged([(b.label, b.id) for b in items], total, page, BUILDING_PAGE, 3, "b", "bp", back),
    )


@router.callback_query(MvCb.filter(F.action == "bp"), MoveIn.building)
async def buildings_turn(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    await _show_buildings(query, state, session, callback_data.page)


@router.callback_query(MvCb.filter(F.action == "back_c"), MoveIn.building)
async def back_to_communities(
    query: CallbackQuery, state: FSMContext, session: AsyncSession
) -> None:
    await state.set_state(MoveIn.community)
    await _show_communities(query, session, 0)


@router.callback_query(MvCb.filter(F.action == "b"), MoveIn.building)
async def building_chosen(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    building = await building_in_community(session, callback_data.id, data.get("community_id"))
    if building is None:
        await query.answer(_("This building is no longer available."), show_alert=True)
        return
    await state.update_data(building_id=building.id, building_name=building.name)
    floors = await floors_of_building(session, building.id)
    if await count_units_in_building(session, building.id) > UNIT_PAGE and len(floors) > 1:
        await state.set_state(MoveIn.floor)
        await state.update_data(by_floor=True)
        await _show_floors(query, state, session, 0)
        return
    await state.update_data(by_floor=False, floor=None)
    await state.set_state(MoveIn.unit)
    await _show_units(query, state, session, 0)


def _floor_label(floor: int | None) -> str:
    if floor is None:
        return _("Other")
    return _("Floor {n}").format(n=floor)


async def _show_floors(
    target: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    data = await state.get_data()
    floors = await floors_of_building(session, int(data["building_id"]))
    shown = floors[page * BUILDING_PAGE : (page + 1) * BUILDING_PAGE]
    items = [(_floor_label(f), NO_FLOOR if f is None else f) for f in shown]
    await show(
        target,
        _("{building}: which floor?").format(building=html.escape(data["building_name"])),
        paged(items, len(floors), page, BUILDING_PAGE, 4, "f", "fp", "back_b"),
    )


@router.callback_query(MvCb.filter(F.action == "fp"), MoveIn.floor)
async def floors_turn(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    await _show_floors(query, state, session, callback_data.page)


@router.callback_query(MvCb.filter(F.action == "back_b"), MoveIn.floor)
@router.callback_query(MvCb.filter(F.action == "back_b"), MoveIn.unit)
async def back_to_buildings(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await state.set_state(MoveIn.building)
    await _show_buildings(query, state, session, 0)


@router.callback_query(MvCb.filter(F.action == "f"), MoveIn.floor)
async def floor_chosen(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    floor = None if callback_data.id == NO_FLOOR else callback_data.id
    await state.update_data(floor=floor)
    await state.set_state(MoveIn.unit)
    await _show_units(query, state, session, 0)


async def _show_units(
    target: CallbackQuery, state: FSMContext, session: AsyncSession, page: int
) -> None:
    data = await state.get_data()
    items, total = await units_page(
        session,
        int(data["building_id"]),
        page * UNIT_PAGE,
        UNIT_PAGE,
        floor=data.get("floor"),
        by_floor=bool(data.get("by_floor")),
    )
    title = html.escape(data["building_name"])
    if data.get("by_floor"):
        title += " · " + _floor_label(data.get("floor"))
    back = "back_f" if data.get("by_floor") else "back_b"
    await show(
        target,
        _("{where}: which unit?").format(where=title),
        paged([(u.label, u.id) for u in items], total, page, UNIT_PAGE, 4, "u", "up", back),
    )


@router.callback_query(MvCb.filter(F.action == "up"), MoveIn.unit)
async def units_turn(
    query: CallbackQuery, callback_data: MvCb, state: FSMContext, session: AsyncSession
) -> None:
    await _show_units(query, state, session, callback_data.page)


@router.callback_query(MvCb.filter(F.action == "back_f"), MoveIn.unit)
async def back_to_floors(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await state.set_state(MoveIn.floor)
    await _show_floors(query, state, session, 0)


@router.callback_query(MvCb.filter(F.action == "back_u"), MoveIn.role)
async def back_to_units(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await state.set_state(MoveIn.unit)
    await _show_units(query, state, session, 0)


@router.callback_query(MvCb.filter(F.action == "u"), MoveIn.unit)
async def unit_chosen(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    data = await state.get_data()
    try:
        unit = await load_unit(session, callback_data.id)
    except ResidentsError:
        await query.answer(_("This unit is no longer available."), show_alert=True)
        return
    if unit.building_id != data.get("building_id"):
        await query.answer(_("This unit is no longer available."), show_alert=True)
        return
    try:
        await check_can_apply(session, person_id(identity), unit.id)
    except ResidentsError as exc:
        text = (
            _("You are already registered in {unit}.")
            if exc.code == "already_member"
            else _("You have already applied for {unit}; the property office is reviewing it.")
        )
        await query.answer(text.format(unit=unit.label), show_alert=True)
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
