"""Report a problem, phase 1: what it is.

Steps: "Report a problem" (menu or /ticket) → residents only, and not past today's
limit when they live in one community → kind (repair, complaint, suggestion,
hazard) → a repair's category or a hazard's type → on to the place
(:mod:`.report_place`). "Cancel" under any question ends the filing; anything
but a button re-asks.
"""

from __future__ import annotations

import secrets

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets.models import HazardType, RepairCategory, TicketKind
from handlers.kit import button_enum, menu_entry, private_command, private_router, reply, residents
from handlers.tickets.callbacks import Filing
from handlers.tickets.labels import KIND_ICONS, category_label, hazard_label, kind_label
from handlers.tickets.report_place import ask_place, chose_unit
from handlers.tickets.report_shared import (
    FileTicket,
    ask_choice,
    button,
    chosen,
    expected_a_button,
    limit_refusal,
)

router = private_router("tickets.report_start")

menu_entry("tickets_new", __("🛠 Report a problem"), residents, order=20)
private_command("ticket", __("Report a problem"), order=20)


async def ask_kind(event: Message | CallbackQuery) -> None:
    kinds = (TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.SUGGESTION, TicketKind.HAZARD)
    buttons = [button(f"{KIND_ICONS[k]} {kind_label(k)}", "kind", k.value) for k in kinds]
    await ask_choice(event, _("What would you like to report?"), buttons)


async def ask_category(event: Message | CallbackQuery) -> None:
    buttons = [button(category_label(c), "category", c.value) for c in RepairCategory]
    await ask_choice(event, _("What needs repairing?"), buttons)


async def ask_hazard(event: Message | CallbackQuery) -> None:
    buttons = [button(hazard_label(h), "hazard", h.value) for h in HazardType]
    await ask_choice(event, _("What kind of hazard?"), buttons, width=1)


@router.callback_query(F.data == "menu:tickets_new", StateFilter("*"))
@router.message(Command("ticket"), StateFilter("*"))
async def start_filing(
    event: Message | CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if not identity.is_resident or identity.person_id is None:
        await reply(
            event,
            _(
                "Only residents can report problems here. Join your home first "
                "(the invitation from your property office, or “Move in”)."
            ),
        )
        return
    await state.clear()
    communities = {u.community_id for u in identity.units}
    if len(communities) == 1:
        refusal = await limit_refusal(session, app, next(iter(communities)), identity.person_id)
        if refusal:
            await reply(event, refusal)
            return
    await state.set_state(FileTicket.kind)
    await state.set_data({"draft": secrets.token_hex(12)})
    await ask_kind(event)


@router.callback_query(Filing.filter(F.step == "abort"), StateFilter(FileTicket))
async def abort_filing(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await reply(query, _("Cancelled. Nothing was filed."), reply_markup=ReplyKeyboardRemove())


@router.callback_query(FileTicket.kind, chosen("kind", TicketKind))
async def chose_kind(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    kind = button_enum(TicketKind, callback_data.value)
    await state.update_data(kind=kind.value)
    if kind == TicketKind.REPAIR:
        await state.set_state(FileTicket.category)
        await ask_category(query)
    elif kind == TicketKind.HAZARD:
        await state.set_state(FileTicket.hazard)
        await ask_hazard(query)
    elif len(identity.units) == 1:
        await chose_unit(query, state, identity, session, app, identity.units[0].unit_id)
    else:
        await state.set_state(FileTicket.place)
        await ask_place(query, identity, session, common_area=False)


@router.callback_query(FileTicket.category, chosen("category", RepairCategory))
@router.callback_query(FileTicket.hazard, chosen("hazard", HazardType))
async def chose_subject(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
) -> None:
    """A repair's category or a hazard's type; then where it is."""
    await state.update_data({callback_data.step: callback_data.value})
    await state.set_state(FileTicket.place)
    await ask_place(query, identity, session, common_area=True)


router.message.register(expected_a_button, FileTicket.kind)
router.message.register(expected_a_button, FileTicket.category)
router.message.register(expected_a_button, FileTicket.hazard)
