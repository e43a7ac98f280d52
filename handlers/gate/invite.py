"""Inviting a visitor, first part: who and when.

1. ``/invite`` or 🎫 in the menu; a resident of several homes with gates picks one.
2. The visitor's name (optional — shown to the guard and in the host's history).
3. The purpose: family, delivery, service, or typed.
4. The window: next 2 hours, today, tomorrow, or a typed start and end (at most
   :data:`access.passes.MAX_VISITOR_WINDOW` long, starting at most
   :data:`access.passes.MAX_VISITOR_ADVANCE` ahead); then single or multiple
   entries is asked.

Then ``invite_pass``: entries, car plate, gates, confirm, create.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.pass_input import parse_window, preset_window
from access.passes import (
    MAX_VISITOR_ADVANCE,
    MAX_VISITOR_WINDOW,
    PassError,
    check_visitor_window,
)
from core.clock import Clock
from core.formatting import local_dt
from core.identity import Identity
from handlers.gate.keyboards import PassCb, button, with_cancel
from handlers.gate.pass_steps import Home, home, start_with_home
from handlers.gate.states import Invite
from handlers.kit import menu_entry, private_command, private_router, reply, residents

router = private_router("gate.invite")

menu_entry("passes_invite", __("🎫 Invite a visitor"), residents, order=30)
private_command("invite", __("Invite a visitor"), order=30)


@router.callback_query(F.data == "menu:passes_invite", StateFilter("*"))
@router.message(Command("invite"), StateFilter("*"))
async def invite_start(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    found = await start_with_home(event, state, session, identity, Invite.unit)
    if found is not None:
        await _invite_begin(event, state, found)


async def _invite_begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await state.set_state(Invite.name)
    await state.update_data(
        unit_id=found.unit.unit_id, unit_label=found.unit.unit_label, tz=found.community.timezone
    )
    await reply(
        event,
        _(
            "🎫 Inviting a visitor to {unit}.\nWhat is the visitor's name? (optional — it is "
            "shown to the guard and in your history)"
        ).format(unit=escape(found.unit.unit_label)),
        reply_markup=with_cancel([button(_("Skip ➡️"), "skip_name")]),
    )


@router.callback_query(Invite.unit, PassCb.filter(F.action == "unit"))
async def invite_unit(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    found = await home(session, identity, int(callback_data.value))
    if found is None:
        await query.answer(_("That home is no longer available."), show_alert=True)
        return
    await _invite_begin(query, state, found)


# --- name, purpose ---------------------------------------------------------------------------


async def _ask_purpose(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(Invite.purpose)
    await reply(
        event,
        _("What is the purpose of the visit? Choose one or type it."),
        reply_markup=with_cancel(
            [button(_("👪 Family or friends"), "purpose", "family")],
            [button(_("📦 Delivery"), "purpose", "delivery")],
            [button(_("🧰 Service or repair"), "purpose", "service")],
        ),
    )


@router.callback_query(Invite.name, PassCb.filter(F.action == "skip_name"))
async def invite_skip_name(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(holder_name="")
    await _ask_purpose(query, state)


@router.message(Invite.name, F.text)
async def invite_name(message: Message, state: FSMContext) -> None:
    name = re.sub(r"\s+", " ", message.text or "").strip()
    if not 1 <= len(name) <= 60 or name.startswith("/"):
        await message.answer(_("Please send a name of up to 60 characters, or press Skip."))
        return
    await state.update_data(holder_name=name)
    await _ask_purpose(message, state)


@router.message(Invite.name)
async def invite_name_reask(message: Message) -> None:
    await message.answer(_("Please send the visitor's name as text, or press Skip."))


def _purpose_labels() -> dict[str, str]:
    return {
        "family": _("Family or friends"),
        "delivery": _("Delivery"),
        "service": _("Service or repair"),
    }


@router.callback_query(Invite.purpose, PassCb.filter(F.action == "purpose"))
async def invite_purpose_button(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext
) -> None:
    label = _purpose_labels().get(callback_data.value)
    if label is None:
        await query.answer()
        return
    await state.update_data(purpose=label)
    await ask_window(query, state)


@router.message(Invite.purpose, F.text)
async def invite_purpose_text(message: Message, state: FSMContext) -> None:
    purpose = re.sub(r"\s+", " ", message.text or "").strip()
    if not 2 <= len(purpose) <= 200 or purpose.startswith("/"):
        await message.answer(_("Please describe the purpose in 2 to 200 characters."))
        return
    await state.update_data(purpose=purpose)
    await ask_window(message, state)


@router.message(Invite.purpose)
async def invite_purpose_reask(message: Message) -> None:
    await message.answer(_("Please choose a purpose with the buttons or type it."))


# --- the window ------------------------------------------------------------------------------


async def ask_window(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(Invite.window)
    await reply(
        event,
        _("When may the visitor come in?"),
        reply_markup=with_cancel(
            [button(_("⏱ Next 2 hours"), "window", "2h")],
            [
                button(_("📅 Today"), "window", "today"),
                button(_("📅 Tomorrow"), "window", "tomorrow"),
            ],
            [button(_("🗓 Custom…"), "window", "custom")],
        ),
    )


@router.callback_query(Invite.window, PassCb.filter(F.action == "window"))
async def invite_window(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext, clock: Clock
) -> None:
    data = await state.get_data()
    if callback_data.value == "custom":
        await state.set_state(Invite.custom_window)
        example_start = local_dt(clock.now(), data["tz"]).replace(minute=0) + timedelta(days=1)
        example = (
            f"{example_start:%Y-%m-%d %H:%M} - "
            f"{example_start + timedelta(days=1, hours=8):%Y-%m-%d %H:%M}"
        )
        await reply(
            query,
            _(
                "Send the start and the end, in your community's time, like this:\n<code>{example}"
                "</code>\nThe window may be up to {days} days long."
            ).format(example=example, days=MAX_VISITOR_WINDOW.days),
            reply_markup=with_cancel(),
        )
        return
    window = preset_window(callback_data.value, clock.now(), data["tz"])
    if window is None:
        await query.answer()
        return
    await _window_chosen(query, state, *window)


@router.message(Invite.custom_window, F.text)
async def invite_custom_window(message: Message, state: FSMContext, clock: Clock) -> None:
    data = await state.get_data()
    window = parse_window(message.text or "", data["tz"])
    if window is None:
        await message.answer(
            _(
                "I could not read that. Please send it like <code>2026-11-26 09:00 - "
                "2026-11-27 18:00</code>."
            )
        )
        return
    try:
        check_visitor_window(*window, clock.now())
    except PassError as exc:
        await message.answer(_window_problem(exc))
        return
    await _window_chosen(message, state, *window)


def _window_problem(exc: PassError) -> str:
    if exc.code == "bad_window" and exc.details.get("over"):
        return _("That window is already over. Please send a future one.")
    if exc.code == "window_too_long":
        return _(
            "A visitor pass can last at most {days} days. Please send a shorter window."
        ).format(days=MAX_VISITOR_WINDOW.days)
    if exc.code == "too_far_ahead":
        return _("Passes can be made at most {days} days ahead.").format(
            days=MAX_VISITOR_ADVANCE.days
        )
    return _("The end must be after the start. Please send the window again.")


@router.message(Invite.window)
@router.message(Invite.custom_window)
async def invite_window_reask(message: Message) -> None:
    await message.answer(_("Please choose a window with the buttons, or send /cancel."))


async def _window_chosen(
    event: Message | CallbackQuery, state: FSMContext, start: datetime, end: datetime
) -> None:
    await state.update_data(valid_from=start.isoformat(), valid_until=end.isoformat())
    await state.set_state(Invite.entries)
    await reply(
        event,
        _("Single entry, or any number of entries within the window?"),
        reply_markup=with_cancel(
            [button(_("1️⃣ Single entry"), "entries", "single")],
            [button(_("🔁 Multiple entries within the window"), "entries", "multi")],
        ),
    )
