"""Inviting a visitor, second part: how, where, and the pass.

5. Single entry or any number within the window.
6. The car plate (optional; :func:`access.passes.valid_plate` says what one is).
7. The gates, then the summary to confirm (``gate_step``).
8. Create: the pass is written in one transaction; the host gets the 8-digit code,
   the QR image and a share link ``t.me/<bot>?start=v_<key>`` (``visitor_link``).
"""

from __future__ import annotations

from datetime import datetime

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.passes import PassError, issue_visitor_pass, valid_plate
from bot.context import AppContext
from core.identity import Identity
from handlers.gate.gate_step import ask_gates
from handlers.gate.invite import ask_window
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import ask, making, reask
from handlers.gate.states import Invite
from handlers.gate.texts import pass_error_text
from handlers.gate.views import hand_over
from handlers.kit import button_choice, private_router, reply

router = private_router("gate.invite_pass")


@router.callback_query(Invite.entries, PassCb.filter(F.action == "entries"))
async def invite_entries(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    entries = button_choice(callback_data.value, {"single", "multi"})
    await state.update_data(multi=entries == "multi")
    await ask(
        query,
        state,
        Invite.plate,
        _("Is the visitor coming by car? Send the plate number (e.g. 沪A12345), or press No car."),
        [button(_("🚶 No car"), "no_plate")],
    )


reask(router, Invite.entries, text=__("Please choose single or multiple entries with the buttons."))


# --- plate -----------------------------------------------------------------------------------


@router.callback_query(Invite.plate, PassCb.filter(F.action == "no_plate"))
async def invite_no_plate(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.update_data(plate=None)
    await ask_gates(query, state, session, identity, Invite.gates)


@router.message(Invite.plate, F.text)
async def invite_plate(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    plate = valid_plate(message.text)
    if plate is None:
        await message.answer(
            _("That does not look like a plate number. Send it like 沪A12345, or press No car.")
        )
        return
    await state.update_data(plate=plate)
    await ask_gates(message, state, session, identity, Invite.gates)


reask(router, Invite.plate, text=__("Please send the plate number as text, or press No car."))


# --- create ----------------------------------------------------------------------------------


@router.callback_query(Invite.confirm, PassCb.filter(F.action == "create"))
async def invite_create(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    made = await making(query, state, session, identity)
    if made is None:
        return
    found, data = made.home, made.data
    try:
        issued = await issue_visitor_pass(
            session,
            secret_key=app.secret_key,
            now=app.clock.now(),
            host_person_id=made.person_id,
            host_unit_id=found.unit.unit_id,
            holder_name=data.get("holder_name") or "",
            purpose=data["purpose"],
            valid_from=datetime.fromisoformat(data["valid_from"]),
            valid_until=datetime.fromisoformat(data["valid_until"]),
            multi_entry=bool(data.get("multi")),
            car_plate=data.get("plate"),
            gate_ids=list(data.get("gate_ids") or []),
        )
    except PassError as exc:
        await reply(query, pass_error_text(exc))
        if exc.code in ("bad_window", "window_too_long", "too_far_ahead") and isinstance(
            query.message, Message
        ):
            await ask_window(query.message, state)
        else:
            await state.clear()
        return
    await state.clear()
    await hand_over(query, session, app, identity.locale, issued, found.community, found.gates)
