"""The resident's side of the gate: visitor passes, worker passes, "My passes",
"Who used my passes", remote opening — and the visitor opening a share link.

Inviting a visitor is one conversation (:class:`Invite`): home (when several) →
name (optional) → purpose → window (next 2 hours, today, tomorrow, or custom up
to 7 days) → single or multiple entries → car plate (optional) → gates →
confirm. The pass is written in one transaction at the end; the resident gets
the 8-digit code, the QR image and a share link ``t.me/<bot>?start=v_<key>``.

A visitor who opens the link gets the code, the QR, the address, the gates,
the window and how to enter, in their own language, without registering.

A worker pass request (:class:`WorkerRequest`) goes to the admin group; staff
approve or reject it there (``handlers.gate_staff``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import SHARE_PREFIX
from access.gates import GateInfo, community_gates
from access.models import Pass, PassKind, PassStatus, WorkerCategory
from access.passes import (
    MAX_VISITOR_WINDOW,
    MAX_WORKER_DAYS,
    IssuedPass,
    PassError,
    issue_visitor_pass,
    my_passes,
    normalize_plate,
    open_shared_pass,
    pass_history,
    request_worker_pass,
    revoke_pass,
)
from access.verification import DoorOutcome, Method, Reason
from bot.commands import private_command
from bot.context import AppContext
from bot.notify import send_to_admin_group
from bot.sender import Delivery, deliver
from core.formatting import fmt_duration, fmt_short_datetime, local_dt
from core.identity import Identity, UnitMembership
from core.models import Community, Person
from handlers.access_common import (
    fit_lines,
    fmt_days,
    fmt_minutes,
    fmt_weekdays,
    fmt_window,
    format_code,
    gate_names,
    qr_png,
    reason_label,
    runtime_of,
)
from handlers.menu import menu_entry, residents

log = logging.getLogger(__name__)

router = Router(name="passes")
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

menu_entry("passes_invite", __("🎫 Invite a visitor"), residents, order=30)
menu_entry("passes_mine", __("🎟 My passes"), residents, order=31)
menu_entry("passes_open", __("🚪 Open a gate"), residents, order=32)
menu_entry("passes_worker", __("👷 Worker pass"), residents, order=33)
menu_entry("passes_history", __("🕘 Who used my passes"), residents, order=34)
private_command("invite", __("Invite a visitor"), order=30)
private_command("passes", __("My passes"), order=31)
private_command("opengate", __("Open a gate"), order=32)
private_command("workerpass", __("Request a worker pass"), order=33)

# A remote-open confirmation older than this is refused: an old button must not
# open the gate for whoever happens to be standing there now.
CONFIRM_TTL_S = 120
# "My passes" lists this many (one revoke button each).
MAX_LISTED = 20
_TIME_RE = r"(\d{1,2})[:：](\d{2})"
_DATE_RE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_SEPARATORS = r"\s*(?:-|–|—|~|～|to|至|到)\s*"
_PLATE_RE = re.compile(r"^[\u4e00-\u9fffA-Z0-9]{5,10}$")


class Invite(StatesGroup):
    unit = State()
    name = State()
    purpose = State()
    window = State()
    custom_window = State()
    entries = State()
    plate = State()
    gates = State()
    confirm = State()


class WorkerRequest(StatesGroup):
    unit = State()
    category = State()
    name = State()
    phone = State()
    company = State()
    dates = State()
    hours = State()
    days = State()
    gates = State()
    confirm = State()


class PassCb(CallbackData, prefix="ps"):
    action: str
    value: str = ""


def _button(text: str, action: str, value: object = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=PassCb(action=action, value=str(value)).pack()
    )


def _keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _cancel_row() -> list[InlineKeyboardButton]:
    return [_button(_("✖️ Cancel"), "abort")]


async def _say(
    event: Message | CallbackQuery, text: str, *, answered: bool = False, **kwargs: Any
) -> Message | None:
    """Reply in the chat; a button press is answered first unless ``answered``."""
    if isinstance(event, CallbackQuery):
        if not answered:
            await event.answer()
        if isinstance(event.message, Message):
            return await event.message.answer(text, **kwargs)
        return None
    return await event.answer(text, **kwargs)


# --- where the resident lives, and which gates that has -----------------------------


@dataclass(frozen=True)
class Home:
    unit: UnitMembership
    community: Community
    gates: list[GateInfo]


async def _homes(session: AsyncSession, identity: Identity) -> list[Home]:
    homes: list[Home] = []
    for unit in identity.units:
        community = await session.get(Community, unit.community_id)
        if community is None:
            continue
        gates = await community_gates(session, community.id)
        if gates:
            homes.append(Home(unit, community, gates))
    return homes


async def _home(session: AsyncSession, identity: Identity, unit_id: int) -> Home | None:
    for home in await _homes(session, identity):
        if home.unit.unit_id == unit_id:
            return home
    return None


async def _start_with_home(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    flow: type[Invite] | type[WorkerRequest],
) -> Home | None:
    """Pick the home for the flow; ask when there are several. None: asked or refused."""
    await state.clear()
    if not identity.is_resident:
        await _say(event, _("This is for residents. Join your home first from the menu: /start"))
        return None
    homes = await _homes(session, identity)
    if not homes:
        await _say(
            event,
            _(
                "Your community has no gates set up in Courtyard yet. Please ask the property "
                "office."
            ),
        )
        return None
    if len(homes) == 1:
        return homes[0]
    await state.set_state(flow.unit)
    rows = [[_button(f"🏠 {h.unit.unit_label}", "unit", h.unit.unit_id)] for h in homes]
    await _say(event, _("For which home?"), reply_markup=_keyboard([*rows, _cancel_row()]))
    return None


# --- entry points --------------------------------------------------------------------------


@router.callback_query(F.data == "menu:passes_invite", StateFilter("*"))
@router.message(Command("invite"), StateFilter("*"))
async def invite_start(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    home = await _start_with_home(event, state, session, identity, Invite)
    if home is not None:
        await _invite_begin(event, state, home)


async def _invite_begin(event: Message | CallbackQuery, state: FSMContext, home: Home) -> None:
    await state.set_state(Invite.name)
    await state.update_data(
        unit_id=home.unit.unit_id, unit_label=home.unit.unit_label, tz=home.community.timezone
    )
    await _say(
        event,
        _(
            "🎫 Inviting a visitor to {unit}.\nWhat is the visitor's name? (optional — it is "
            "shown to the guard and in your history)"
        ).format(unit=escape(home.unit.unit_label)),
        reply_markup=_keyboard([[_button(_("Skip ➡️"), "skip_name")], _cancel_row()]),
    )


@router.callback_query(Invite.unit, PassCb.filter(F.action == "unit"))
async def invite_unit(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    home = await _home(session, identity, int(callback_data.value))
    if home is None:
        await query.answer(_("That home is no longer available."), show_alert=True)
        return
    await _invite_begin(query, state, home)


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


# --- invite: name, purpose ---------------------------------------------------------------


async def _ask_purpose(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(Invite.purpose)
    rows = [
        [_button(_("👪 Family or friends"), "purpose", "family")],
        [_button(_("📦 Delivery"), "purpose", "delivery")],
        [_button(_("🧰 Service or repair"), "purpose", "service")],
        _cancel_row(),
    ]
    await _say(
        event,
        _("What is the purpose of the visit? Choose one or type it."),
        reply_markup=_keyboard(rows),
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
    await _ask_window(query, state)


@router.message(Invite.purpose, F.text)
async def invite_purpose_text(message: Message, state: FSMContext) -> None:
    purpose = re.sub(r"\s+", " ", message.text or "").strip()
    if not 2 <= len(purpose) <= 200 or purpose.startswith("/"):
        await message.answer(_("Please describe the purpose in 2 to 200 characters."))
        return
    await state.update_data(purpose=purpose)
    await _ask_window(message, state)


@router.message(Invite.purpose)
async def invite_purpose_reask(message: Message) -> None:
    await message.answer(_("Please choose a purpose with the buttons or type it."))


# --- invite: the window ------------------------------------------------------------------


async def _ask_window(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(Invite.window)
    rows = [
        [_button(_("⏱ Next 2 hours"), "window", "2h")],
        [
            _button(_("📅 Today"), "window", "today"),
            _button(_("📅 Tomorrow"), "window", "tomorrow"),
        ],
        [_button(_("🗓 Custom…"), "window", "custom")],
        _cancel_row(),
    ]
    await _say(event, _("When may the visitor come in?"), reply_markup=_keyboard(rows))


def preset_window(preset: str, now: datetime, tz: str) -> tuple[datetime, datetime] | None:
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), time(0, 0), zone)
    if preset == "2h":
        return now, now + timedelta(hours=2)
    if preset == "today":
        return now, midnight
    if preset == "tomorrow":
        return midnight, datetime.combine(midnight.date() + timedelta(days=1), time(0, 0), zone)
    return None


def parse_window(text: str, now: datetime, tz: str) -> tuple[datetime, datetime] | None:
    """ "2026-11-26 09:00 - 2026-11-27 18:00", or "2026-11-26 09:00 - 18:00" (same day)."""
    zone = ZoneInfo(tz)
    match = re.fullmatch(
        rf"\s*{_DATE_RE}\s*{_TIME_RE}{_SEPARATORS}(?:{_DATE_RE}\s*)?{_TIME_RE}\s*",
        text,
        flags=re.IGNORECASE,
    )
    if match is None:
        return None
    g = match.groups()
    try:
        start = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), tzinfo=zone)
        day = (int(g[5]), int(g[6]), int(g[7])) if g[5] else (int(g[0]), int(g[1]), int(g[2]))
        end = datetime(*day, int(g[8]), int(g[9]), tzinfo=zone)
    except ValueError:
        return None
    return start, end


@router.callback_query(Invite.window, PassCb.filter(F.action == "window"))
async def invite_window(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext, clock: Any, locale: str
) -> None:
    data = await state.get_data()
    if callback_data.value == "custom":
        await state.set_state(Invite.custom_window)
        example_start = local_dt(clock.now(), data["tz"]).replace(minute=0) + timedelta(days=1)
        example = (
            f"{example_start:%Y-%m-%d %H:%M} - "
            f"{example_start + timedelta(days=1, hours=8):%Y-%m-%d %H:%M}"
        )
        await _say(
            query,
            _(
                "Send the start and the end, in your community's time, like this:\n<code>{example}"
                "</code>\nThe window may be up to 7 days long."
            ).format(example=example),
            reply_markup=_keyboard([_cancel_row()]),
        )
        return
    window = preset_window(callback_data.value, clock.now(), data["tz"])
    if window is None:
        await query.answer()
        return
    await _window_chosen(query, state, *window)


@router.message(Invite.custom_window, F.text)
async def invite_custom_window(message: Message, state: FSMContext, clock: Any) -> None:
    data = await state.get_data()
    now = clock.now()
    window = parse_window(message.text or "", now, data["tz"])
    if window is None:
        await message.answer(
            _(
                "I could not read that. Please send it like <code>2026-11-26 09:00 - "
                "2026-11-27 18:00</code>."
            )
        )
        return
    start, end = window
    if end <= start:
        await message.answer(_("The end must be after the start. Please send the window again."))
    elif end <= now:
        await message.answer(_("That window is already over. Please send a future one."))
    elif end - max(start, now) > MAX_VISITOR_WINDOW:
        await message.answer(
            _("A visitor pass can last at most 7 days. Please send a shorter window.")
        )
    elif start - now > timedelta(days=30):
        await message.answer(_("Passes can be made at most 30 days ahead."))
    else:
        await _window_chosen(message, state, start, end)


@router.message(Invite.window)
@router.message(Invite.custom_window)
async def invite_window_reask(message: Message) -> None:
    await message.answer(_("Please choose a window with the buttons, or send /cancel."))


async def _window_chosen(
    event: Message | CallbackQuery, state: FSMContext, start: datetime, end: datetime
) -> None:
    await state.update_data(valid_from=start.isoformat(), valid_until=end.isoformat())
    await state.set_state(Invite.entries)
    rows = [
        [_button(_("1️⃣ Single entry"), "entries", "single")],
        [_button(_("🔁 Multiple entries within the window"), "entries", "multi")],
        _cancel_row(),
    ]
    await _say(
        event,
        _("Single entry, or any number of entries within the window?"),
        reply_markup=_keyboard(rows),
    )


@router.callback_query(Invite.entries, PassCb.filter(F.action == "entries"))
async def invite_entries(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    if callback_data.value not in ("single", "multi"):
        await query.answer()
        return
    await state.update_data(multi=callback_data.value == "multi")
    await state.set_state(Invite.plate)
    await _say(
        query,
        _("Is the visitor coming by car? Send the plate number (e.g. 沪A12345), or press No car."),
        reply_markup=_keyboard([[_button(_("🚶 No car"), "no_plate")], _cancel_row()]),
    )


@router.message(Invite.entries)
async def invite_entries_reask(message: Message) -> None:
    await message.answer(_("Please choose single or multiple entries with the buttons."))


# --- invite: plate, gates ------------------------------------------------------------------


@router.callback_query(Invite.plate, PassCb.filter(F.action == "no_plate"))
async def invite_no_plate(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.update_data(plate=None)
    await _ask_gates(query, state, session, identity, Invite.gates)


@router.message(Invite.plate, F.text)
async def invite_plate(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    plate = normalize_plate(message.text)
    if plate is None or not _PLATE_RE.match(plate):
        await message.answer(
            _("That does not look like a plate number. Send it like 沪A12345, or press No car.")
        )
        return
    await state.update_data(plate=plate)
    await _ask_gates(message, state, session, identity, Invite.gates)


@router.message(Invite.plate)
async def invite_plate_reask(message: Message) -> None:
    await message.answer(_("Please send the plate number as text, or press No car."))


def _gates_keyboard(gates: list[GateInfo], chosen: list[int]) -> InlineKeyboardMarkup:
    rows = [[_button(("✅ " if not chosen else "▫️ ") + _("All gates"), "gate_all")]]
    for gate in gates:
        mark = "✅ " if gate.id in chosen else "▫️ "
        rows.append([_button(mark + gate.name, "gate", gate.id)])
    rows.append([_button(_("Done ➡️"), "gates_done")])
    rows.append(_cancel_row())
    return _keyboard(rows)


async def _ask_gates(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    step: State,
) -> None:
    data = await state.get_data()
    home = await _home(session, identity, data["unit_id"])
    if home is None:
        await state.clear()
        await _say(event, _("That home is no longer available. Nothing was saved."))
        return
    await state.update_data(gate_ids=[])
    if len(home.gates) == 1:
        await _confirm(event, state, session, identity, step)
        return
    await state.set_state(step)
    await _say(event, _("Which gates may they use?"), reply_markup=_gates_keyboard(home.gates, []))


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
    home = await _home(session, identity, data["unit_id"])
    if home is None:
        await query.answer()
        return
    chosen: list[int] = list(data.get("gate_ids") or [])
    if callback_data.action == "gate_all":
        chosen = []
    else:
        gate_id = int(callback_data.value)
        if gate_id in chosen:
            chosen.remove(gate_id)
        elif any(g.id == gate_id for g in home.gates):
            chosen.append(gate_id)
        if len(chosen) == len(home.gates):
            chosen = []
    await state.update_data(gate_ids=sorted(chosen))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=_gates_keyboard(home.gates, chosen))


@router.callback_query(Invite.gates, PassCb.filter(F.action == "gates_done"))
@router.callback_query(WorkerRequest.gates, PassCb.filter(F.action == "gates_done"))
async def gates_done(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    current = await state.get_state()
    step = Invite.gates if current == Invite.gates.state else WorkerRequest.gates
    await _confirm(query, state, session, identity, step)


@router.message(Invite.gates)
@router.message(WorkerRequest.gates)
async def gates_reask(message: Message) -> None:
    await message.answer(_("Please choose the gates with the buttons, then press Done."))


async def _confirm(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    step: State,
) -> None:
    data = await state.get_data()
    home = await _home(session, identity, data["unit_id"])
    if home is None:
        await state.clear()
        await _say(event, _("That home is no longer available. Nothing was saved."))
        return
    tz = home.community.timezone
    locale = identity.locale
    gates = gate_names(home.gates, data.get("gate_ids") or [])
    if step == Invite.gates:
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
                    tz,
                    locale,
                )
            )
        )
        lines.append(_("Entries: multiple") if data.get("multi") else _("Entries: single"))
        if data.get("plate"):
            lines.append(_("Car: {plate}").format(plate=escape(data["plate"])))
        lines.append(_("Gates: {gates}").format(gates=gates))
        create = _button(_("✅ Create the pass"), "create")
    else:
        await state.set_state(WorkerRequest.confirm)
        lines = _worker_summary(data, tz, locale)
        lines.append(_("Gates: {gates}").format(gates=gates))
        lines.insert(0, _("Please check the request:"))
        create = _button(_("📨 Send for approval"), "create")
    await _say(event, "\n".join(lines), reply_markup=_keyboard([[create], _cancel_row()]))


@router.message(Invite.confirm)
@router.message(WorkerRequest.confirm)
async def confirm_reask(message: Message) -> None:
    await message.answer(_("Please confirm with the button above, or send /cancel."))


# --- invite: create ------------------------------------------------------------------------


@router.callback_query(Invite.confirm, PassCb.filter(F.action == "create"))
async def invite_create(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    data = await state.get_data()
    home = await _home(session, identity, data["unit_id"])
    assert identity.person_id is not None
    if home is None:
        await state.clear()
        await _say(query, _("That home is no longer available. Nothing was saved."))
        return
    now = app.clock.now()
    try:
        issued = await issue_visitor_pass(
            session,
            secret_key=app.secret_key,
            now=now,
            host_person_id=identity.person_id,
            host_unit_id=home.unit.unit_id,
            holder_name=data.get("holder_name") or "",
            purpose=data["purpose"],
            valid_from=datetime.fromisoformat(data["valid_from"]),
            valid_until=datetime.fromisoformat(data["valid_until"]),
            multi_entry=bool(data.get("multi")),
            car_plate=data.get("plate"),
            gate_ids=list(data.get("gate_ids") or []),
        )
    except PassError as exc:
        await _say(query, pass_error_text(exc))
        if exc.code in ("bad_window", "window_too_long", "too_far_ahead") and isinstance(
            query.message, Message
        ):
            await _ask_window(query.message, state)
        else:
            await state.clear()
        return
    await state.clear()
    row = await session.get(Pass, issued.pass_id)
    assert row is not None
    await session.commit()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(_("Pass created."))
    await send_pass_to_host(
        app, query.from_user.id, identity.locale, row, issued, home.community, home.gates
    )


def pass_error_text(exc: PassError) -> str:
    texts = {
        "not_resident": _("You are not a resident of that home any more."),
        "no_gates": _("Your community has no gates set up yet."),
        "bad_gate": _("One of the chosen gates no longer exists. Please start again."),
        "bad_window": _("The window is not valid. Please choose it again."),
        "window_too_long": _("A visitor pass can last at most 7 days."),
        "too_far_ahead": _("Passes can be made at most 30 days ahead."),
        "no_purpose": _("Please give a purpose."),
        "bad_plate": _("That plate number is too long."),
        "no_free_code": _("Could not make a code just now. Please try again."),
        "bad_phone": _("That phone number does not look right."),
        "starts_in_past": _("The first day cannot be in the past."),
        "bad_range": _("The last day must not be before the first day."),
        "range_too_long": _("A worker pass can cover at most {days} days.").format(
            days=MAX_WORKER_DAYS
        ),
        "bad_hours": _("The daily hours are not valid."),
        "bad_weekday": _("Choose at least one weekday."),
        "no_name": _("Please give the worker's name."),
        "not_active": _("That pass is no longer active."),
        "not_found": _("That pass was not found."),
    }
    return texts.get(exc.code, _("That did not work. Please try again."))


# --- the pass card ---------------------------------------------------------------------------


def _category_labels() -> dict[str, str]:
    return {
        WorkerCategory.RENOVATION.value: _("Renovation"),
        WorkerCategory.HOUSEKEEPING.value: _("Housekeeping"),
        WorkerCategory.DELIVERY.value: _("Delivery"),
    }


def pass_lines(
    row: Pass, community: Community, gates: list[GateInfo], locale: str | None
) -> list[str]:
    tz = community.timezone
    lines: list[str] = []
    if row.kind == PassKind.WORKER:
        who = escape(row.holder_name)
        if row.company:
            who += f" · {escape(row.company)}"
        lines.append(_("Worker: {who}").format(who=who))
        if row.category:
            lines.append(
                _("Work: {category}").format(
                    category=_category_labels().get(row.category.value, row.category.value)
                )
            )
        lines.append(
            _("Days: {days}").format(days=fmt_days(row.valid_from, row.valid_until, tz, locale))
        )
        lines.append(
            _("Hours: {start}–{end}, {weekdays}").format(
                start=fmt_minutes(row.daily_start_min or 0),
                end=fmt_minutes(row.daily_end_min or 24 * 60),
                weekdays=fmt_weekdays(row.weekdays),
            )
        )
    else:
        if row.holder_name:
            lines.append(_("Visitor: {name}").format(name=escape(row.holder_name)))
        lines.append(_("Purpose: {purpose}").format(purpose=escape(row.purpose)))
        lines.append(
            _("Valid: {window}").format(
                window=fmt_window(row.valid_from, row.valid_until, tz, locale)
            )
        )
        lines.append(_("Entries: multiple") if row.max_uses is None else _("Entries: single"))
    if row.car_plate:
        lines.append(_("Car: {plate}").format(plate=escape(row.car_plate)))
    lines.append(_("Gates: {gates}").format(gates=gate_names(gates, row.gate_ids)))
    return lines


def _share_url(link: str, text: str) -> str:
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


async def send_pass_to_host(
    app: AppContext,
    chat_id: int,
    locale: str | None,
    row: Pass,
    issued: IssuedPass,
    community: Community,
    gates: list[GateInfo],
) -> Delivery:
    """The code, the QR and the share link, to the host who will forward them."""
    assert app.bot is not None
    link = app.deep_link(issued.share_payload)
    with app.i18n.use_locale(locale or app.settings.default_locale):
        title = (
            _("👷 Worker pass #{id} is approved.")
            if row.kind == PassKind.WORKER
            else _("🎫 Visitor pass #{id} is ready.")
        ).format(id=row.id)
        lines = [title, *pass_lines(row, community, gates, locale)]
        lines.append(_("Code: <code>{code}</code>").format(code=format_code(issued.code)))
        lines.append("")
        lines.append(
            _(
                "Forward this link to them — it shows the code, the QR code, the address "
                "and how to enter, with no sign-up:\n{link}"
            ).format(link=link)
        )
        share = _("Your pass for {community}").format(community=community.name)
        keyboard = _keyboard(
            [[InlineKeyboardButton(text=_("📤 Share the pass"), url=_share_url(link, share))]]
        )
        text_result = await deliver(
            app.bot.send_message(chat_id, "\n".join(lines), reply_markup=keyboard)
        )
        if not text_result.ok:
            return text_result
        caption = _("QR code of pass #{id} — hold it to the gate's reader.").format(id=row.id)
        return await deliver(
            app.bot.send_photo(
                chat_id,
                BufferedInputFile(qr_png(issued.token), f"pass-{row.id}.png"),
                caption=caption,
            )
        )


# --- the visitor opens the link -----------------------------------------------------------


@router.message(
    CommandStart(deep_link=True, magic=F.args.startswith(SHARE_PREFIX)), StateFilter("*")
)
async def visitor_opens_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    await state.clear()
    share_key = (command.args or "")[len(SHARE_PREFIX) :]
    try:
        shared = await open_shared_pass(
            session, secret_key=app.secret_key, share_key=share_key, now=app.clock.now()
        )
    except PassError as exc:
        texts = {
            "revoked": _("This pass has been cancelled by the resident who made it."),
            "expired": _("This pass has expired. Please ask the resident for a new one."),
            "used": _("This single-entry pass has already been used."),
        }
        await message.answer(
            texts.get(
                exc.code,
                _("This pass link is not valid. Please check it with the resident who sent it."),
            )
        )
        return
    row, community = shared.pass_, shared.community
    gates = await community_gates(session, community.id)
    lines = [
        _("🎫 Your pass for <b>{community}</b>").format(community=escape(community.name)),
    ]
    if community.address:
        lines.append(_("Address: {address}").format(address=escape(community.address)))
    lines.extend(pass_lines(row, community, gates, locale))
    lines.append(_("Code: <code>{code}</code>").format(code=format_code(shared.code)))
    lines.append("")
    lines.append(
        _(
            "How to enter: at the gate, type the 8 digits on the keypad, or hold the QR code "
            "below to the reader. The pass works only at the gates and times above."
        )
    )
    if row.max_uses == 1:
        lines.append(_("It opens the gate once."))
    if community.duty_phone:
        lines.append(
            _("Trouble at the gate? Call the property office: {phone}").format(
                phone=escape(community.duty_phone)
            )
        )
    await message.answer("\n".join(lines))
    await message.answer_photo(
        BufferedInputFile(qr_png(shared.token), f"pass-{row.id}.png"),
        caption=_("Show this QR code to the gate's reader."),
    )


# --- My passes, revoke, history -------------------------------------------------------------


def _status_line(row: Pass) -> str:
    if row.status == PassStatus.PENDING:
        return _("⏳ waiting for approval")
    if row.max_uses is not None:
        return _("used {used} of {max}").format(used=row.uses_count, max=row.max_uses)
    return _("used {used} times").format(used=row.uses_count)


@router.callback_query(F.data == "menu:passes_mine", StateFilter("*"))
@router.message(Command("passes"), StateFilter("*"))
async def mine(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    await state.clear()
    if identity.person_id is None or not identity.is_resident:
        await _say(event, _("This is for residents. Join your home first from the menu: /start"))
        return
    rows = await my_passes(session, identity.person_id, app.clock.now())
    if not rows:
        await _say(event, _("You have no active passes. Invite a visitor with /invite."))
        return
    lines = [_("Your active passes:")]
    buttons: list[list[InlineKeyboardButton]] = []
    for row in rows[:MAX_LISTED]:
        community = await session.get(Community, row.community_id)
        assert community is not None
        tz = community.timezone
        who = escape(row.holder_name) or _("visitor")
        kind = "👷" if row.kind == PassKind.WORKER else "🎫"
        lines.append(
            f"{kind} #{row.id} {who} · "
            f"{fmt_window(row.valid_from, row.valid_until, tz, locale)} · "
            f"{_status_line(row)}"
        )
        buttons.append([_button(_("🚫 Revoke #{id}").format(id=row.id), "revoke", row.id)])
    if len(rows) > MAX_LISTED:
        lines.append(_("… and {count} more.").format(count=len(rows) - MAX_LISTED))
    await _say(event, fit_lines(lines), reply_markup=_keyboard(buttons))


@router.callback_query(PassCb.filter(F.action == "revoke"), StateFilter("*"))
async def revoke_ask(
    query: CallbackQuery, callback_data: PassCb, session: AsyncSession, identity: Identity
) -> None:
    row = await session.get(Pass, int(callback_data.value))
    if row is None or row.host_person_id != identity.person_id:
        await query.answer(_("That pass was not found."), show_alert=True)
        return
    if row.status not in (PassStatus.ACTIVE, PassStatus.PENDING):
        await query.answer(_("That pass is no longer active."), show_alert=True)
        return
    who = escape(row.holder_name) or _("visitor")
    await _say(
        query,
        _("Revoke pass #{id} ({who})? It stops working at every gate at once.").format(
            id=row.id, who=who
        ),
        reply_markup=_keyboard(
            [
                [
                    _button(_("🚫 Yes, revoke"), "revoke_yes", row.id),
                    _button(_("Keep it"), "revoke_no", row.id),
                ]
            ]
        ),
    )


@router.callback_query(PassCb.filter(F.action == "revoke_yes"), StateFilter("*"))
async def revoke_yes(
    query: CallbackQuery,
    callback_data: PassCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    try:
        row = await revoke_pass(
            session,
            now=app.clock.now(),
            pass_id=int(callback_data.value),
            by_person_id=identity.person_id,
            reason="host",
            host_person_id=identity.person_id,
        )
    except PassError as exc:
        await query.answer(pass_error_text(exc), show_alert=True)
        return
    await session.commit()
    await query.answer(_("Revoked."))
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("🚫 Pass #{id} is revoked. It no longer opens any gate.").format(id=row.id)
        )


@router.callback_query(PassCb.filter(F.action == "revoke_no"), StateFilter("*"))
async def revoke_no(query: CallbackQuery) -> None:
    await query.answer(_("Kept."))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


@router.callback_query(F.data == "menu:passes_history", StateFilter("*"))
@router.message(Command("passhistory"), StateFilter("*"))
async def history(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    await state.clear()
    if identity.person_id is None or not identity.is_resident:
        await _say(event, _("This is for residents. Join your home first from the menu: /start"))
        return
    records = await pass_history(session, identity.person_id)
    if not records:
        await _say(event, _("Nobody has used your passes yet."))
        return
    community = await session.get(Community, identity.units[0].community_id)
    tz = community.timezone if community else app.settings.timezone
    lines = [_("Who used your passes (latest first):")]
    for rec in records:
        mark = "✅" if rec.granted else "⛔"
        who = escape(rec.holder_name) or _("visitor")
        lines.append(
            f"{mark} {fmt_short_datetime(rec.at, tz, locale)} · {escape(rec.gate_name)} · "
            f"#{rec.pass_id} {who} · {reason_label(rec.reason)}"
        )
    await _say(event, fit_lines(lines))


# --- remote opening --------------------------------------------------------------------------


@router.callback_query(F.data == "menu:passes_open", StateFilter("*"))
@router.message(Command("opengate"), StateFilter("*"))
async def open_choose(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    if not identity.is_resident:
        await _say(event, _("This is for residents. Join your home first from the menu: /start"))
        return
    homes = await _homes(session, identity)
    seen: set[int] = set()
    rows: list[list[InlineKeyboardButton]] = []
    for home in homes:
        for gate in home.gates:
            if gate.id in seen:
                continue
            seen.add(gate.id)
            label = gate.name if len(homes) == 1 else f"{gate.name} · {home.community.name}"
            rows.append([_button(f"🚪 {label}", "open_pick", gate.id)])
    if not rows:
        await _say(event, _("Your community has no gates set up in Courtyard yet."))
        return
    await _say(event, _("Which gate should I open?"), reply_markup=_keyboard(rows))


@router.callback_query(PassCb.filter(F.action == "open_pick"), StateFilter("*"))
async def open_confirm(
    query: CallbackQuery,
    callback_data: PassCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    gate_id = int(callback_data.value)
    gate = next(
        (g for h in await _homes(session, identity) for g in h.gates if g.id == gate_id), None
    )
    if gate is None:
        await query.answer(_("That gate is not available to you."), show_alert=True)
        return
    stamp = int(app.clock.now().timestamp())
    await _say(
        query,
        _("Open <b>{gate}</b> now? Only open it for someone you can see or expect.").format(
            gate=escape(gate.name)
        ),
        reply_markup=_keyboard(
            [
                [
                    _button(_("🔓 Open now"), "open_go", f"{gate.id}.{stamp}"),
                    _button(_("Cancel"), "open_no"),
                ]
            ]
        ),
    )


@router.callback_query(PassCb.filter(F.action == "open_no"), StateFilter("*"))
async def open_no(query: CallbackQuery) -> None:
    await query.answer(_("Not opened."))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


@router.callback_query(PassCb.filter(F.action == "open_go"), StateFilter("*"))
async def open_go(
    query: CallbackQuery, callback_data: PassCb, identity: Identity, app: AppContext, locale: str
) -> None:
    gate_part, _sep, stamp_part = callback_data.value.partition(".")
    if not gate_part.isdigit() or not stamp_part.isdigit() or identity.person_id is None:
        await query.answer()
        return
    if app.clock.now().timestamp() - int(stamp_part) > CONFIRM_TTL_S:
        await query.answer(_("This button has expired. Choose the gate again."), show_alert=True)
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    runtime = runtime_of(app)
    decision = await runtime.open_gate(int(gate_part), identity.person_id, Method.REMOTE)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if decision is None:
        await query.answer(_("That gate no longer exists."), show_alert=True)
        return
    gate = await runtime.gates.get(decision.gate_id)
    name = escape(gate.name) if gate else ""
    if decision.granted and decision.door == DoorOutcome.FAILED:
        await query.answer()
        await _say(
            query,
            answered=True,
            text=_(
                "⚠️ The gate did not respond, so <b>{gate}</b> may still be locked. "
                "Staff have been alerted."
            ).format(gate=name),
        )
    elif decision.granted:
        await query.answer(_("Opened."))
        await _say(query, _("🔓 <b>{gate}</b> is open.").format(gate=name), answered=True)
    elif decision.reason == Reason.RATE_LIMITED:
        await query.answer()
        wait = fmt_duration(timedelta(seconds=runtime.policy.remote_window_s), locale)
        await _say(
            query,
            answered=True,
            text=_(
                "You have opened gates many times in a short while. For safety, "
                "please wait up to {wait} and try again, or call the guard."
            ).format(wait=wait),
        )
    else:
        await query.answer(
            _("Not opened: {reason}.").format(reason=reason_label(decision.reason)), show_alert=True
        )


# --- worker pass requests --------------------------------------------------------------------


@router.callback_query(F.data == "menu:passes_worker", StateFilter("*"))
@router.message(Command("workerpass"), StateFilter("*"))
async def worker_start(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    home = await _start_with_home(event, state, session, identity, WorkerRequest)
    if home is not None:
        await _worker_begin(event, state, home)


@router.callback_query(WorkerRequest.unit, PassCb.filter(F.action == "unit"))
async def worker_unit(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    home = await _home(session, identity, int(callback_data.value))
    if home is None:
        await query.answer(_("That home is no longer available."), show_alert=True)
        return
    await _worker_begin(query, state, home)


async def _worker_begin(event: Message | CallbackQuery, state: FSMContext, home: Home) -> None:
    await state.set_state(WorkerRequest.category)
    await state.update_data(
        unit_id=home.unit.unit_id, unit_label=home.unit.unit_label, tz=home.community.timezone
    )
    rows = [[_button(label, "category", value)] for value, label in _category_labels().items()]
    await _say(
        event,
        _("👷 Worker pass for {unit}. Staff approve it in the office.\nWhat kind of work?").format(
            unit=escape(home.unit.unit_label)
        ),
        reply_markup=_keyboard([*rows, _cancel_row()]),
    )


@router.callback_query(WorkerRequest.category, PassCb.filter(F.action == "category"))
async def worker_category(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    if callback_data.value not in _category_labels():
        await query.answer()
        return
    await state.update_data(category=callback_data.value)
    await state.set_state(WorkerRequest.name)
    await _say(query, _("The worker's full name?"), reply_markup=_keyboard([_cancel_row()]))


@router.message(WorkerRequest.category)
async def worker_category_reask(message: Message) -> None:
    await message.answer(_("Please choose the kind of work with the buttons."))


@router.message(WorkerRequest.name, F.text)
async def worker_name(message: Message, state: FSMContext) -> None:
    name = re.sub(r"\s+", " ", message.text or "").strip()
    if not 2 <= len(name) <= 60 or name.startswith("/"):
        await message.answer(_("Please send the worker's name (2 to 60 characters)."))
        return
    await state.update_data(worker_name=name)
    await state.set_state(WorkerRequest.phone)
    await message.answer(_("The worker's phone number? (type it, or share their contact)"))


@router.message(WorkerRequest.name)
async def worker_name_reask(message: Message) -> None:
    await message.answer(_("Please send the worker's name as text."))


def clean_phone(raw: str) -> str | None:
    phone = re.sub(r"[\s()-]", "", raw)
    return phone if re.fullmatch(r"\+?\d{5,20}", phone) else None


@router.message(WorkerRequest.phone, F.contact)
@router.message(WorkerRequest.phone, F.text)
async def worker_phone(message: Message, state: FSMContext) -> None:
    raw = message.contact.phone_number if message.contact else (message.text or "")
    phone = clean_phone(raw)
    if phone is None:
        await message.answer(
            _("That does not look like a phone number. Please send digits, e.g. 13900001111.")
        )
        return
    await state.update_data(worker_phone=phone)
    await state.set_state(WorkerRequest.company)
    await message.answer(
        _("Their company? (optional)"),
        reply_markup=_keyboard([[_button(_("Skip ➡️"), "skip_company")], _cancel_row()]),
    )


@router.message(WorkerRequest.phone)
async def worker_phone_reask(message: Message) -> None:
    await message.answer(_("Please send the phone number as text or as a contact."))


async def _ask_dates(event: Message | CallbackQuery, state: FSMContext, now: datetime) -> None:
    await state.set_state(WorkerRequest.dates)
    data = await state.get_data()
    today = local_dt(now, data["tz"]).date()
    example = f"{today:%Y-%m-%d} - {today + timedelta(days=13):%Y-%m-%d}"
    rows = [
        [_button(_("Today only"), "dates", "today"), _button(_("7 days"), "dates", "7")],
        [_button(_("14 days"), "dates", "14"), _button(_("30 days"), "dates", "30")],
        _cancel_row(),
    ]
    await _say(
        event,
        _(
            "Which days? Choose, or send the first and last day like <code>{example}</code> "
            "(at most {days} days)."
        ).format(example=example, days=MAX_WORKER_DAYS),
        reply_markup=_keyboard(rows),
    )


@router.callback_query(WorkerRequest.company, PassCb.filter(F.action == "skip_company"))
async def worker_skip_company(query: CallbackQuery, state: FSMContext, app: AppContext) -> None:
    await state.update_data(company="")
    await _ask_dates(query, state, app.clock.now())


@router.message(WorkerRequest.company, F.text)
async def worker_company(message: Message, state: FSMContext, app: AppContext) -> None:
    company = re.sub(r"\s+", " ", message.text or "").strip()
    if not 1 <= len(company) <= 120 or company.startswith("/"):
        await message.answer(
            _("Please send the company name (up to 120 characters), or press Skip.")
        )
        return
    await state.update_data(company=company)
    await _ask_dates(message, state, app.clock.now())


@router.message(WorkerRequest.company)
async def worker_company_reask(message: Message) -> None:
    await message.answer(_("Please send the company name as text, or press Skip."))


def parse_dates(text: str) -> tuple[date, date] | None:
    match = re.fullmatch(
        rf"\s*{_DATE_RE}(?:{_SEPARATORS}{_DATE_RE})?\s*", text, flags=re.IGNORECASE
    )
    if match is None:
        return None
    g = match.groups()
    try:
        first = date(int(g[0]), int(g[1]), int(g[2]))
        last = date(int(g[3]), int(g[4]), int(g[5])) if g[3] else first
    except ValueError:
        return None
    return first, last


async def _dates_chosen(
    event: Message | CallbackQuery, state: FSMContext, first: date, last: date, today: date
) -> None:
    if first < today:
        await _say(event, _("The first day cannot be in the past. Please send the days again."))
        return
    if last < first:
        await _say(
            event, _("The last day must not be before the first day. Please send them again.")
        )
        return
    if (last - first).days + 1 > MAX_WORKER_DAYS:
        await _say(
            event, _("A worker pass can cover at most {days} days.").format(days=MAX_WORKER_DAYS)
        )
        return
    await state.update_data(first_day=first.isoformat(), last_day=last.isoformat())
    await state.set_state(WorkerRequest.hours)
    rows = [
        [_button("08:00–18:00", "hours", "480-1080"), _button("09:00–17:00", "hours", "540-1020")],
        [_button("07:00–20:00", "hours", "420-1200")],
        _cancel_row(),
    ]
    await _say(
        event,
        _("Daily hours? Choose, or send them like <code>08:30-17:30</code>."),
        reply_markup=_keyboard(rows),
    )


@router.callback_query(WorkerRequest.dates, PassCb.filter(F.action == "dates"))
async def worker_dates_button(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext, app: AppContext
) -> None:
    data = await state.get_data()
    today = local_dt(app.clock.now(), data["tz"]).date()
    days = {"today": 1, "7": 7, "14": 14, "30": 30}.get(callback_data.value)
    if days is None:
        await query.answer()
        return
    await _dates_chosen(query, state, today, today + timedelta(days=days - 1), today)


@router.message(WorkerRequest.dates, F.text)
async def worker_dates_text(message: Message, state: FSMContext, app: AppContext) -> None:
    data = await state.get_data()
    parsed = parse_dates(message.text or "")
    if parsed is None:
        await message.answer(
            _("I could not read that. Please send it like <code>2026-11-26 - 2026-12-10</code>.")
        )
        return
    await _dates_chosen(message, state, *parsed, local_dt(app.clock.now(), data["tz"]).date())


@router.message(WorkerRequest.dates)
async def worker_dates_reask(message: Message) -> None:
    await message.answer(_("Please choose the days with the buttons or send them as text."))


def parse_hours(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(rf"\s*{_TIME_RE}{_SEPARATORS}{_TIME_RE}\s*", text, flags=re.IGNORECASE)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        return None
    return h1 * 60 + m1, h2 * 60 + m2


async def _hours_chosen(
    event: Message | CallbackQuery, state: FSMContext, start: int, end: int
) -> None:
    if end <= start:
        await _say(event, _("The end of the day must be after its start, e.g. 08:00-18:00."))
        return
    await state.update_data(daily_start_min=start, daily_end_min=end)
    await state.set_state(WorkerRequest.days)
    rows = [
        [_button(_("Mon–Sat"), "days", "63"), _button(_("Mon–Fri"), "days", "31")],
        [_button(_("Every day"), "days", "127")],
        _cancel_row(),
    ]
    await _say(event, _("On which weekdays?"), reply_markup=_keyboard(rows))


@router.callback_query(WorkerRequest.hours, PassCb.filter(F.action == "hours"))
async def worker_hours_button(
    query: CallbackQuery, callback_data: PassCb, state: FSMContext
) -> None:
    start, _sep, end = callback_data.value.partition("-")
    if not start.isdigit() or not end.isdigit():
        await query.answer()
        return
    await _hours_chosen(query, state, int(start), int(end))


@router.message(WorkerRequest.hours, F.text)
async def worker_hours_text(message: Message, state: FSMContext) -> None:
    parsed = parse_hours(message.text or "")
    if parsed is None:
        await message.answer(_("Please send the hours like <code>08:30-17:30</code>."))
        return
    await _hours_chosen(message, state, *parsed)


@router.message(WorkerRequest.hours)
async def worker_hours_reask(message: Message) -> None:
    await message.answer(_("Please choose the hours with the buttons or send them as text."))


@router.callback_query(WorkerRequest.days, PassCb.filter(F.action == "days"))
async def worker_days(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    if callback_data.value not in ("63", "31", "127"):
        await query.answer()
        return
    await state.update_data(weekdays=int(callback_data.value))
    await _ask_gates(query, state, session, identity, WorkerRequest.gates)


@router.message(WorkerRequest.days)
async def worker_days_reask(message: Message) -> None:
    await message.answer(_("Please choose the weekdays with the buttons."))


def _worker_summary(data: dict[str, Any], tz: str, locale: str | None) -> list[str]:
    first, last = date.fromisoformat(data["first_day"]), date.fromisoformat(data["last_day"])
    zone = ZoneInfo(tz)
    start = datetime.combine(first, time(0, 0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), zone)
    who = escape(data["worker_name"])
    if data.get("company"):
        who += f" · {escape(data['company'])}"
    return [
        _("Home: {unit}").format(unit=escape(data["unit_label"])),
        _("Worker: {who}").format(who=who),
        _("Phone: {phone}").format(phone=escape(data["worker_phone"])),
        _("Work: {category}").format(category=_category_labels()[data["category"]]),
        _("Days: {days}").format(days=fmt_days(start, end, tz, locale)),
        _("Hours: {start}–{end}, {weekdays}").format(
            start=fmt_minutes(data["daily_start_min"]),
            end=fmt_minutes(data["daily_end_min"]),
            weekdays=fmt_weekdays(data["weekdays"]),
        ),
    ]


@router.callback_query(WorkerRequest.confirm, PassCb.filter(F.action == "create"))
async def worker_submit(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    from handlers.gate_staff import worker_request_card

    data = await state.get_data()
    home = await _home(session, identity, data["unit_id"])
    assert identity.person_id is not None
    if home is None:
        await state.clear()
        await _say(query, _("That home is no longer available. Nothing was saved."))
        return
    try:
        row = await request_worker_pass(
            session,
            now=app.clock.now(),
            host_person_id=identity.person_id,
            host_unit_id=home.unit.unit_id,
            worker_name=data["worker_name"],
            worker_phone=data["worker_phone"],
            company=data.get("company") or "",
            category=WorkerCategory(data["category"]),
            first_day=date.fromisoformat(data["first_day"]),
            last_day=date.fromisoformat(data["last_day"]),
            daily_start_min=data["daily_start_min"],
            daily_end_min=data["daily_end_min"],
            weekdays=data["weekdays"],
            gate_ids=list(data.get("gate_ids") or []),
        )
    except PassError as exc:
        await state.clear()
        await _say(
            query,
            pass_error_text(exc)
            + "\n"
            + _("Nothing was saved; please start again with /workerpass."),
        )
        return
    await state.clear()
    host = await session.get(Person, identity.person_id)
    text, keyboard = worker_request_card(row, home.community, home.gates, host, data["unit_label"])
    delivery = await send_to_admin_group(app, home.community, text, reply_markup=keyboard)
    if delivery.ok and delivery.result is not None:
        row.staff_message_id = delivery.result.message_id
    await session.commit()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await query.answer()
    if delivery.ok:
        await _say(
            query,
            answered=True,
            text=_(
                "📨 Request #{id} is with the property office. I will send you the "
                "code as soon as they approve it."
            ).format(id=row.id),
        )
    else:
        await _say(
            query,
            answered=True,
            text=_(
                "Request #{id} is saved, but I could not reach the property office's "
                "group. Please call them: {phone}"
            ).format(id=row.id, phone=escape(home.community.duty_phone or "—")),
        )


__all__ = ["Invite", "WorkerRequest", "router", "send_pass_to_host"]
