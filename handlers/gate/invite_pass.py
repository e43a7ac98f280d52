"""Inviting a visitor, second part: how, where, and the pass.

5. Single entry or any number within the window.
6. The car plate (optional; :func:`access.passes.valid_plate` says what one is).
7. The gates (all, or some; skipped when the home has one).
8. Confirm: the summary, then Create.
9. The pass is written in one transaction; the host gets the 8-digit code, the QR
   image and a share link ``t.me/<bot>?start=v_<key>`` (``visitor_link``).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.passes import PassError, get_pass, issue_visitor_pass, valid_plate
from bot.context import AppContext
from core.identity import Identity
from handlers.gate.invite import ask_window
from handlers.gate.keyboards import PassCb, button, with_cancel
from handlers.gate.pass_steps import Home, ask_gates, chosen_home
from handlers.gate.states import Invite
from handlers.gate.texts import fmt_window, gate_names, pass_error_text
from handlers.gate.views import send_pass_to_host
from handlers.kit import commit_before_send, private_router, reply

router = private_router("gate.invite_pass")


@router.callback_query(Invite.entries, PassCb.filter(F.action == "entries"))
async def invite_entries(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    if callback_data.value not in ("single", "multi"):
        await query.answer()
        return
    await state.update_data(multi=callback_data.value == "multi")
    await state.set_state(Invite.plate)
    await reply(
        query,
        _("Is the visitor coming by car? Send the plate number (e.g. 沪A12345), or press No car."),
        reply_markup=with_cancel([button(_("🚶 No car"), "no_plate")]),
    )


@router.message(Invite.entries)
async def invite_entries_reask(message: Message) -> None:
    await message.answer(_("Please choose single or multiple entries with the buttons."))


# --- plate, gates ----------------------------------------------------------------------------


@router.callback_query(Invite.plate, PassCb.filter(F.action == "no_plate"))
async def invite_no_plate(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.update_data(plate=None)
    await ask_gates(query, state, session, identity, Invite.gates, _confirm)


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
    await ask_gates(message, state, session, identity, Invite.gates, _confirm)


@router.message(Invite.plate)
async def invite_plate_reask(message: Message) -> None:
    await message.answer(_("Please send the plate number as text, or press No car."))


@router.callback_query(Invite.gates, PassCb.filter(F.action == "gates_done"))
async def invite_gates_done(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    found = await chosen_home(query, state, session, identity)
    if found is not None:
        await _confirm(query, state, found, identity.locale)


# --- confirm, create -------------------------------------------------------------------------


async def _confirm(
    event: Message | CallbackQuery, state: FSMContext, found: Home, locale: str | None
) -> None:
    data = await state.get_data()
    await state.set_state(Invite.confirm)
    lines = [
        _("Please check the pass:"),
        _("Home: {unit}").format(unit=escape(data["unit_label"])),
    ]
    if data.get("holder_name"):
        lines.append(_("Visitor: {name}").format(name=escape(data["holder_name"])))
    lines.append(_("Purpose: {purpose}").format(purpose=escape(data["purpose"])))
    lines.append(
        _("Valid: {window}").format(
            window=fmt_window(
                datetime.fromisoformat(data["valid_from"]),
                datetime.fromisoformat(data["valid_until"]),
                found.community.timezone,
                locale,
            )
        )
    )
    lines.append(_("Entries: multiple") if data.get("multi") else _("Entries: single"))
    if data.get("plate"):
        lines.append(_("Car: {plate}").format(plate=escape(data["plate"])))
    lines.append(
        _("Gates: {gates}").format(gates=gate_names(found.gates, data.get("gate_ids") or []))
    )
    await reply(
        event,
        "\n".join(lines),
        reply_markup=with_cancel([button(_("✅ Create the pass"), "create")]),
    )


@router.callback_query(Invite.confirm, PassCb.filter(F.action == "create"))
async def invite_create(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    found = await chosen_home(query, state, session, identity)
    if found is None:
        return
    assert identity.person_id is not None
    data = await state.get_data()
    try:
        issued = await issue_visitor_pass(
            session,
            secret_key=app.secret_key,
            now=app.clock.now(),
            host_person_id=identity.person_id,
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
    row = await get_pass(session, issued.pass_id)
    assert row is not None
    # The host forwards the code and link at once: the gate and the visitor opening
    # the link must find the pass.
    await commit_before_send(session)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(_("Pass created."))
    await send_pass_to_host(
        app, query.from_user.id, identity.locale, row, issued, found.community, found.gates
    )
