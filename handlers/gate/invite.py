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

from datetime import datetime, timedelta
from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from access.pass_input import parse_window, preset_window
from access.passes import (
    MAX_VISITOR_ADVANCE,
    MAX_VISITOR_WINDOW,
    NAME_MAX_LEN,
    PURPOSE_MAX_LEN,
    PassError,
    check_visitor_window,
)
from core.clock import Clock
from core.formatting import local_dt
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import NOT_A_COMMAND, Home, ask, flow_entry, read_line, reask
from handlers.gate.states import Invite
from handlers.kit import (
    StaleButton,
    button_choice,
    menu_entry,
    private_command,
    private_router,
    residents,
)

router = private_router("gate.invite")


async def _begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await ask(
        event,
        state,
        Invite.name,
        _(
            "🎫 Inviting a visitor to {unit}.\nWhat is the visitor's name? (optional — it is "
            "shown to the guard and in your history)"
        ).format(unit=escape(found.unit.unit_label)),
        [button(_("Skip ➡️"), "skip_name")],
    )


menu_entry("passes_invite", __("🎫 Invite a visitor"), residents, order=30)
private_command("invite", __("Invite a visitor"), order=30)
flow_entry(router, menu="passes_invite", command="invite", ask_home=Invite.unit, begin=_begin)


# --- name, purpose ---------------------------------------------------------------------------


async def _ask_purpose(event: Message | CallbackQuery, state: FSMContext) -> None:
    await ask(
        event,
        state,
        Invite.purpose,
        _("What is the purpose of the visit? Choose one or type it."),
        [button(_("👪 Family or friends"), "purpose", "family")],
        [button(_("📦 Delivery"), "purpose", "delivery")],
        [button(_("🧰 Service or repair"), "purpose", "service")],
    )


@router.callback_query(Invite.name, PassCb.filter(F.action == "skip_name"))
async def invite_skip_name(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(holder_name="")
    await _ask_purpose(query, state)


@router.message(Invite.name, F.text, NOT_A_COMMAND)
async def invite_name(message: Message, state: FSMContext) -> None:
    name = await read_line(message, max_len=NAME_MAX_LEN)
    if name is not None:
        await state.update_data(holder_name=name)
        await _ask_purpose(message, state)


reask(router, Invite.name, text=__("Please send the visitor's name as text, or press Skip."))


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
    labels = _purpose_labels()
    await state.update_data(purpose=labels[button_choice(callback_data.value, labels)])
    await ask_window(query, state)


# A typed purpose says something: two characters at least.
PURPOSE_MIN_LEN = 2


@router.message(Invite.purpose, F.text, NOT_A_COMMAND)
async def invite_purpose_text(message: Message, state: FSMContext) -> None:
    purpose = await read_line(message, max_len=PURPOSE_MAX_LEN, min_len=PURPOSE_MIN_LEN)
    if purpose is not None:
        await state.update_data(purpose=purpose)
        await ask_window(message, state)


reask(router, Invite.purpose, text=__("Please choose a purpose with the buttons or type it."))


# --- the window ------------------------------------------------------------------------------


async def ask_window(event: Message | CallbackQuery, state: FSMContext) -> None:
    await ask(
        event,
        state,
        Invite.window,
        _("When may the visitor come in?"),
        [button(_("⏱ Next 2 hours"), "window", "2h")],
        [button(_("📅 Today"), "window", "today"), button(_("📅 Tomorrow"), "window", "tomorrow")],
        [button(_("🗓 Custom…"), "window", "custom")],
    )


@router.callback_query(Invite.window, PassCb.filter(F.action == "window"))
async def invite_window(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext, clock: Clock
) -> None:
    tz = (await state.get_data())["tz"]
    if callback_data.value == "custom":
        example = example_window(clock.now(), tz)
        await ask(
            query,
            state,
            Invite.custom_window,
            _(
                "Send the start and the end, in your community's time, like this:\n<code>{example}"
                "</code>\nThe window may be up to {days} days long."
            ).format(example=example, days=MAX_VISITOR_WINDOW.days),
        )
        return
    window = preset_window(callback_data.value, clock.now(), tz)
    if window is None:
        raise StaleButton(callback_data.value)
    await _window_chosen(query, state, *window)


def example_window(now: datetime, tz: str) -> str:
    """A window to show as an example: tomorrow on the hour, in the community's time
    (an example must itself be accepted, so never in the past)."""
    start = local_dt(now, tz).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    end = start + timedelta(days=1, hours=8)
    return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}"


@router.message(Invite.custom_window, F.text)
async def invite_custom_window(message: Message, state: FSMContext, clock: Clock) -> None:
    tz = (await state.get_data())["tz"]
    window = parse_window(message.text or "", tz)
    if window is None:
        await message.answer(
            _("I could not read that. Please send it like <code>{example}</code>.").format(
                example=example_window(clock.now(), tz)
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


reask(
    router,
    Invite.window,
    Invite.custom_window,
    text=__("Please choose a window with the buttons, or send /cancel."),
)


async def _window_chosen(
    event: Message | CallbackQuery, state: FSMContext, start: datetime, end: datetime
) -> None:
    await state.update_data(valid_from=start.isoformat(), valid_until=end.isoformat())
    await ask(
        event,
        state,
        Invite.entries,
        _("Single entry, or any number of entries within the window?"),
        [button(_("1️⃣ Single entry"), "entries", "single")],
        [button(_("🔁 Multiple entries within the window"), "entries", "multi")],
    )
