"""Joining a home, in the resident's private chat.

Two ways in, one conversation (:class:`MoveIn`):

- **Invitation**: ``/start i_<code>`` (the letterbox QR code or a link an owner
  forwarded), or the code typed in. Role (unless the invitation fixes it),
  name, phone, then the community rules and the service contract; the person
  is an active resident at once and staff are told.
- **Application**: community → building → (floor) → unit from paginated
  buttons, role, lease end for tenants, name, phone (Telegram's contact
  button), an ID photo, proof of residence, the two documents, a summary, and
  submit. The application goes to the admin group for review (handlers.review).

Every step accepts only what it asks for and re-asks otherwise. The answers
live in the conversation state (in the database) and uploads as draft file
references, so a restart in the middle loses nothing; the final step writes
everything in one transaction.

Owners also add family members here (``menu:family``): a one-person invitation
link, or a name for someone without Telegram. No staff review: the owner
answers for their household.
"""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import date

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import private_command
from bot.context import AppContext
from bot.notify import send_to_admin_group
from core.agreements import (
    Acceptance,
    AgreementError,
    record_acceptances,
    render_agreement,
)
from core.formatting import fmt_date, fmt_short_datetime
from core.identity import Identity, UnitMembership, load_identity
from core.invitations import (
    InvitationError,
    code_from_payload,
    create_family_invitation,
    deep_link_payload,
    find_invitation,
    format_code,
    normalize_code,
    record_failure,
    redeem_invitation,
)
from core.models import Community, Person, ResidencyRole
from core.movein_models import AgreementKind, DocumentKind, Invitation
from core.residents import (
    MAX_DOCUMENTS_PER_KIND,
    ResidentsError,
    add_draft_document,
    add_family_member,
    add_more_documents,
    buildings_page,
    check_can_apply,
    clear_drafts,
    communities_page,
    community_today,
    count_units_in_building,
    draft_counts,
    floors_of_building,
    load_unit,
    owner_residency,
    remove_family_member,
    submit_application,
    unit_residents,
    units_page,
)
from handlers.menu import menu_entry, menu_keyboard
from handlers.review import EndCb, movein_thread, person_link, post_application, role_label

log = logging.getLogger(__name__)

router = Router(name="movein")
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

COMMUNITY_PAGE = 8
BUILDING_PAGE = 24
UNIT_PAGE = 24
NO_FLOOR = -1000  # callback value for units without a floor
ROLES = (ResidencyRole.OWNER, ResidencyRole.TENANT, ResidencyRole.FAMILY)
KINDS = (DocumentKind.ID, DocumentKind.PROOF, DocumentKind.EXTRA)
AGREEMENTS = (AgreementKind.RULES, AgreementKind.CONTRACT)
_LOOKS_LIKE_CODE = re.compile(r"^\s*[A-Za-z0-9]{5}[\s-]?[A-Za-z0-9]{5}\s*$")
_NAME_OK = re.compile(r"^[^\d/@#<>{}\[\]\\|=+*^$%&]{2,60}$")


def _is_owner(identity: Identity) -> bool:
    return any(u.role == ResidencyRole.OWNER for u in identity.units)


menu_entry(
    "movein",
    __("🏠 Move in"),
    lambda i: not i.is_resident and not i.pending_units,
    order=10,
)
menu_entry("family", __("👪 Add family member"), _is_owner, order=70)
private_command("movein", __("Join your home: invitation code or application"), order=10)


class MoveIn(StatesGroup):
    code = State()
    community = State()
    building = State()
    floor = State()
    unit = State()
    role = State()
    end_date = State()
    name = State()
    phone = State()
    id_doc = State()
    proof = State()
    rules = State()
    contract = State()
    confirm = State()
    more_docs = State()


class Family(StatesGroup):
    name = State()


class MvCb(CallbackData, prefix="mv"):
    action: str
    id: int = 0
    page: int = 0


class FamCb(CallbackData, prefix="fm"):
    action: str  # u = unit menu, link, add, rm = remove (confirm), rmy = removed
    id: int = 0


# --- small UI helpers -------------------------------------------------------------------


async def _show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to (pagination), or send a new one."""
    if isinstance(target, CallbackQuery):
        await target.answer()
        if isinstance(target.message, Message):
            try:
                await target.message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest:
                pass
            await target.message.answer(text, reply_markup=markup)
        return
    await target.answer(text, reply_markup=markup)


def _chat(target: Message | CallbackQuery) -> Message:
    message = target if isinstance(target, Message) else target.message
    assert isinstance(message, Message)
    return message


def _button(text: str, action: str, id_: int = 0, page: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=MvCb(action=action, id=id_, page=page).pack()
    )


def _paged(
    items: list[tuple[str, int]],
    total: int,
    page: int,
    per_page: int,
    cols: int,
    pick: str,
    turn: str,
    back: str | None = None,
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for start in range(0, len(items), cols):
        rows.append([_button(label, pick, id_) for label, id_ in items[start : start + cols]])
    pages = max(1, -(-total // per_page))
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(_button("◀", turn, page=page - 1))
        nav.append(_button(f"{page + 1}/{pages}", turn, page=page))
        if page < pages - 1:
            nav.append(_button("▶", turn, page=page + 1))
        rows.append(nav)
    last = [_button(_("✖ Cancel"), "quit")]
    if back:
        last.insert(0, _button(_("⬅ Back"), back))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _person_id(identity: Identity) -> int:
    # The identity middleware creates the person on first private contact.
    assert identity.person_id is not None
    return identity.person_id


# --- entry ----------------------------------------------------------------------------------


def _entry_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("🔑 I have an invitation code"), "code")],
            [_button(_("📝 Apply with my documents"), "apply")],
        ]
    )


@router.message(Command("movein"), StateFilter("*"))
async def movein_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_entry_text(), reply_markup=_entry_keyboard())


@router.callback_query(F.data == "menu:movein", StateFilter("*"))
async def movein_menu(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await _chat(query).answer(_entry_text(), reply_markup=_entry_keyboard())


def _entry_text() -> str:
    return _(
        "Let's get you registered in your home.\n"
        "If the property office gave you an invitation (a letter with a QR code or a code), "
        "use it: you are in at once. Otherwise apply with your ID and proof of residence; "
        "the property office checks it, usually within a working day."
    )


@router.callback_query(MvCb.filter(F.action == "quit"), StateFilter("*"))
async def quit_flow(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    await clear_drafts(session, _person_id(identity))
    await query.answer()
    message = _chat(query)
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass
    await message.answer(_("Cancelled. Nothing was saved."), reply_markup=ReplyKeyboardRemove())
    await message.answer(_("What can I do for you?"), reply_markup=menu_keyboard(identity))


# --- invitation codes -----------------------------------------------------------------------


@router.callback_query(MvCb.filter(F.action == "code"), StateFilter("*"))
async def ask_code(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(MoveIn.code)
    await state.set_data({})
    await query.answer()
    await _chat(query).answer(
        _("Type the code from your invitation, like ABCDE-FGHJK."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[_button(_("✖ Cancel"), "quit")]]),
    )


@router.message(CommandStart(deep_link=True, magic=F.args.startswith("i_")), StateFilter("*"))
async def invitation_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    await state.clear()
    code = code_from_payload(command.args)
    if code is None:
        await message.answer(
            _("This invitation link is damaged. Type the code from the letter instead.")
        )
        await state.set_state(MoveIn.code)
        return
    await _try_code(message, code, state, session, app, identity)


@router.message(MoveIn.code, F.text)
async def code_typed(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    code = normalize_code(message.text or "")
    if code is None:
        await message.answer(
            _(
                "That doesn't look like an invitation code: it has 10 letters and digits, like "
                "ABCDE-FGHJK. Please type it again."
            )
        )
        return
    await _try_code(message, code, state, session, app, identity)


@router.message(StateFilter(None), F.text.regexp(_LOOKS_LIKE_CODE))
async def code_without_asking(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    code = normalize_code(message.text or "")
    if code is None:  # e.g. contains U: not one of ours
        await message.answer(
            _("I didn't catch that. Please choose from the menu:"),
            reply_markup=menu_keyboard(identity),
        )
        return
    await _try_code(message, code, state, session, app, identity)


@router.message(MoveIn.code)
async def code_not_text(message: Message) -> None:
    await message.answer(_("Please type the code as text, like ABCDE-FGHJK."))


def _invitation_error_text(code: str) -> str:
    return {
        "invalid": _("This code is not valid. Check it and type it again, or /cancel."),
        "expired": _(
            "This invitation has expired. Ask the property office for a new one, or apply with "
            "your documents."
        ),
        "revoked": _(
            "This invitation was withdrawn. Ask the property office (or the owner) for a new one."
        ),
        "used_up": _(
            "This invitation has already been used by as many people as it allows. Ask the "
            "property office for a new one."
        ),
        "already_member": _("You are already registered in this home."),
        "already_used_by_you": _("You have already used this invitation."),
        "throttled": _("Too many wrong codes. Please wait a quarter of an hour and try again."),
        "end_date_required": _("Tenants need a lease end date in the future."),
        "role_required": _("Please choose who you are in this home."),
    }.get(code, _("This invitation cannot be used."))


async def _try_code(
    message: Message,
    code: str,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    assert message.from_user is not None
    try:
        invitation = await find_invitation(
            session,
            code,
            secret_key=app.secret_key,
            clock=app.clock,
            telegram_id=message.from_user.id,
            person_id=identity.person_id,
        )
    except InvitationError as exc:
        if exc.code == "invalid":
            await record_failure(app.session_factory, message.from_user.id, app.clock.now())
            await state.set_state(MoveIn.code)
        elif exc.code == "throttled":
            await state.clear()
        await message.answer(_invitation_error_text(exc.code))
        return
    await _start_invitation(message, invitation, state, session)


async def _start_invitation(
    message: Message, invitation: Invitation, state: FSMContext, session: AsyncSession
) -> None:
    unit = await load_unit(session, invitation.unit_id)
    community = await session.get(Community, invitation.community_id)
    assert community is not None
    await state.set_data(
        {
            "mode": "invite",
            "invitation_id": invitation.id,
            "community_id": community.id,
            "unit_id": unit.id,
            "unit_label": unit.label,
            "community_name": community.name,
            "role": invitation.role.value if invitation.role else None,
            "acceptances": [],
        }
    )
    intro = _("Invitation to {unit}, {community}.").format(
        unit=html.escape(unit.label), community=html.escape(community.name)
    )
    if invitation.role is None:
        await state.set_state(MoveIn.role)
        await message.answer(
            intro + "\n" + _("Who are you in this home?"), reply_markup=_role_keyboard(back=False)
        )
        return
    await message.answer(intro)
    await _ask_name(message, state)


# --- choosing the home (application) ----------------------------------------------------------


@router.callback_query(MvCb.filter(F.action == "apply"), StateFilter("*"))
async def start_application(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await clear_drafts(session, _person_id(identity))
    await state.set_state(MoveIn.community)
    await state.set_data({"mode": "apply", "acceptances": []})
    items, total = await communities_page(session, 0, COMMUNITY_PAGE)
    if total == 0:
        await state.clear()
        await query.answer()
        await _chat(query).answer(
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
    await _show(
        target,
        _("Which community do you live in?"),
        _paged([(c.label, c.id) for c in items], total, page, COMMUNITY_PAGE, 1, "c", "cp"),
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
    community = await session.get(Community, community_id)
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
    await _show(
        target,
        _("{community}: which building?").format(community=html.escape(data["community_name"])),
        _paged([(b.label, b.id) for b in items], total, page, BUILDING_PAGE, 3, "b", "bp", back),
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
    from core.models import Building

    data = await state.get_data()
    building = await session.get(Building, callback_data.id)
    if building is None or building.community_id != data.get("community_id"):
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
    await _show(
        target,
        _("{building}: which floor?").format(building=html.escape(data["building_name"])),
        _paged(items, len(floors), page, BUILDING_PAGE, 4, "f", "fp", "back_b"),
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
    await _show(
        target,
        _("{where}: which unit?").format(where=title),
        _paged(
            [(u.label, u.id) for u in items],
            total,
            page,
            UNIT_PAGE,
            4,
            "u",
            "up",
            "back_f" if data.get("by_floor") else "back_b",
        ),
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
        await check_can_apply(session, _person_id(identity), unit.id)
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
    await _show(
        query,
        _("{community} · {unit}\nWho are you in this home?").format(
            community=html.escape(data["community_name"]), unit=html.escape(unit.label)
        ),
        _role_keyboard(back=True),
    )


# --- role, lease, name, phone ---------------------------------------------------------------


def _role_keyboard(*, back: bool) -> InlineKeyboardMarkup:
    rows = [
        [_button(_("Owner"), "role", 0)],
        [_button(_("Tenant"), "role", 1)],
        [_button(_("Family member of the owner or tenant"), "role", 2)],
    ]
    last = [_button(_("✖ Cancel"), "quit")]
    if back:
        last.insert(0, _button(_("⬅ Back"), "back_u"))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.callback_query(MvCb.filter(F.action == "back_u"), MoveIn.role)
async def back_to_units(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await state.set_state(MoveIn.unit)
    await _show_units(query, state, session, 0)


@router.callback_query(MvCb.filter(F.action == "role"), MoveIn.role)
async def role_chosen(query: CallbackQuery, callback_data: MvCb, state: FSMContext) -> None:
    if not 0 <= callback_data.id < len(ROLES):
        await query.answer()
        return
    role = ROLES[callback_data.id]
    await state.update_data(role=role.value)
    await query.answer()
    message = _chat(query)
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass
    await message.answer(_("You are: {role}.").format(role=role_label(role)))
    if role == ResidencyRole.TENANT:
        await state.set_state(MoveIn.end_date)
        await message.answer(
            _("Until when does your lease run? Send the date, for example 2027-06-30.")
        )
        return
    await _ask_name(message, state)


@router.message(MoveIn.role)
async def role_not_chosen(message: Message) -> None:
    await message.answer(
        _("Please choose with the buttons above who you are in this home, or send /cancel.")
    )


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def parse_date(text: str) -> date | None:
    cleaned = text.strip().replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(cleaned)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


@router.message(MoveIn.end_date, F.text)
async def end_date_given(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext
) -> None:
    data = await state.get_data()
    community = await session.get(Community, int(data["community_id"]))
    assert community is not None
    today = community_today(community, app.clock)
    day = parse_date(message.text or "")
    if day is None:
        await message.answer(_("Please send the date like 2027-06-30."))
        return
    if day <= today:
        await message.answer(_("The lease end must be after today. Please send it again."))
        return
    if day.year > today.year + 30:
        await message.answer(_("That is too far ahead. Please check the date on your lease."))
        return
    await state.update_data(end_date=day.isoformat())
    await _ask_name(message, state)


@router.message(MoveIn.end_date)
async def end_date_not_text(message: Message) -> None:
    await message.answer(_("Please type the lease end date, for example 2027-06-30."))


async def _ask_name(message: Message, state: FSMContext) -> None:
    await state.set_state(MoveIn.name)
    user = message.chat
    suggestion = " ".join(filter(None, [user.first_name, user.last_name])) if user else ""
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove = ReplyKeyboardRemove()
    if suggestion and _NAME_OK.match(suggestion):
        markup = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=suggestion)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=_("Full name"),
        )
    await message.answer(_("Your full name, as on your ID card:"), reply_markup=markup)


@router.message(MoveIn.name, F.text)
async def name_given(message: Message, state: FSMContext) -> None:
    name = " ".join((message.text or "").split())
    if name.startswith("/") or not _NAME_OK.match(name):
        await message.answer(_("Please type your name with letters only (2 to 60 characters)."))
        return
    await state.update_data(full_name=name)
    await state.set_state(MoveIn.phone)
    await message.answer(
        _(
            "Your phone number, so the property office can reach you. Press the button below to "
            "share it."
        ),
        reply_markup=ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )


@router.message(MoveIn.name)
async def name_not_text(message: Message) -> None:
    await message.answer(_("Please type your full name."))


@router.message(MoveIn.phone, F.contact)
async def phone_shared(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext
) -> None:
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await message.answer(
            _("Please share your own number with the button below, not someone else's contact.")
        )
        return
    phone = message.contact.phone_number.strip()
    if not phone.startswith("+"):
        phone = "+" + phone
    await state.update_data(phone=phone[:32])
    data = await state.get_data()
    if data.get("mode") == "invite":
        await message.answer(_("Thank you."), reply_markup=ReplyKeyboardRemove())
        await _show_agreement(message, state, session, app, AgreementKind.RULES)
        return
    await state.set_state(MoveIn.id_doc)
    await message.answer(
        _(
            "Now a photo of your ID card (the side with your photo). Send it as a photo, or as a "
            "PDF or image file."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


@router.message(MoveIn.phone)
async def phone_not_shared(message: Message) -> None:
    await message.answer(
        _("Please press “📱 Share my phone number” below; typing the number is not enough."),
        reply_markup=ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )


# --- documents ---------------------------------------------------------------------------------


_STATE_KIND = {
    MoveIn.id_doc.state: DocumentKind.ID,
    MoveIn.proof.state: DocumentKind.PROOF,
    MoveIn.more_docs.state: DocumentKind.EXTRA,
}


def _acceptable_document(message: Message) -> bool:
    doc = message.document
    if doc is None:
        return False
    mime = (doc.mime_type or "").lower()
    return mime.startswith("image/") or mime == "application/pdf"


@router.message(StateFilter(MoveIn.id_doc, MoveIn.proof, MoveIn.more_docs), F.photo | F.document)
async def document_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    raw_state: str | None,
) -> None:
    kind = _STATE_KIND[raw_state or ""]
    if message.photo:
        photo = message.photo[-1]  # the largest size
        media, file_id, unique, mime = "photo", photo.file_id, photo.file_unique_id, None
    elif _acceptable_document(message):
        assert message.document is not None
        doc = message.document
        media, file_id, unique, mime = "document", doc.file_id, doc.file_unique_id, doc.mime_type
    else:
        await message.answer(_("Please send a photo, or a PDF or image file."))
        return
    try:
        await add_draft_document(
            session,
            _person_id(identity),
            kind,
            media=media,
            file_id=file_id,
            file_unique_id=unique,
            mime_type=mime,
            media_group_id=message.media_group_id,
            clock=app.clock,
        )
    except ResidentsError:
        await message.answer(
            _("That is enough files ({n}). Press Continue.").format(n=MAX_DOCUMENTS_PER_KIND),
            reply_markup=_continue_keyboard(kind),
        )
        return
    if not _first_of_album(app, message.media_group_id):
        return  # one answer per album is enough
    await message.answer(
        _("Received. Send more pages if needed, then press Continue."),
        reply_markup=_continue_keyboard(kind),
    )


def _first_of_album(app: AppContext, media_group_id: str | None) -> bool:
    """Whether this is the first photo of its album we answer.

    An album arrives as several updates handled concurrently; the check and the
    mark happen without an await in between, so exactly one of them wins in
    this process (a second process would at worst answer twice).
    """
    if media_group_id is None:
        return True
    seen: dict[str, float] = app.extras.setdefault("movein.albums", {})
    now = time.monotonic()
    for key, at in list(seen.items()):
        if now - at > 120:
            del seen[key]
    if media_group_id in seen:
        return False
    seen[media_group_id] = now
    return True


def _continue_keyboard(kind: DocumentKind) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Continue ➡"), "done", KINDS.index(kind))]]
    )


@router.message(StateFilter(MoveIn.id_doc, MoveIn.proof, MoveIn.more_docs))
async def document_expected(message: Message, raw_state: str | None) -> None:
    if raw_state == MoveIn.id_doc.state:
        await message.answer(_("Please send a photo of your ID card (or a PDF or image file)."))
    else:
        await message.answer(
            _("Please send photos of the documents, or PDF or image files, then press Continue.")
        )


def _proof_prompt(role: ResidencyRole) -> str:
    if role == ResidencyRole.OWNER:
        return _(
            "Now your proof of ownership: the property certificate (不动产权证) or the purchase "
            "contract. Photos of the pages or a PDF."
        )
    if role == ResidencyRole.TENANT:
        return _("Now your lease contract: photos of the pages or a PDF.")
    return _(
        "Now something that shows you belong to this household: the owner's property certificate "
        "or lease, or your household register (户口本) page. Photos or a PDF."
    )


@router.callback_query(
    MvCb.filter(F.action == "done"), StateFilter(MoveIn.id_doc, MoveIn.proof, MoveIn.more_docs)
)
async def documents_done(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    raw_state: str | None,
) -> None:
    kind = _STATE_KIND[raw_state or ""]
    if callback_data.id >= len(KINDS) or KINDS[callback_data.id] != kind:
        await query.answer(_("This button is no longer active."))
        return
    counts = await draft_counts(session, _person_id(identity))
    if counts[kind] < 1:
        await query.answer(_("Please send at least one photo or file first."), show_alert=True)
        return
    message = _chat(query)
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass
    data = await state.get_data()
    if kind == DocumentKind.ID:
        await query.answer()
        await state.set_state(MoveIn.proof)
        await message.answer(_proof_prompt(ResidencyRole(data["role"])))
    elif kind == DocumentKind.PROOF:
        await query.answer()
        await _show_agreement(message, state, session, app, AgreementKind.RULES)
    else:
        await _send_more_documents(query, state, session, app, identity, int(data["app_id"]))


# --- the community rules and the service contract


async def _show_agreement(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, kind: AgreementKind
) -> None:
    data = await state.get_data()
    community = await session.get(Community, int(data["community_id"]))
    assert community is not None
    locale = _current_locale()
    try:
        rendered = render_agreement(
            community,
            kind,
            locale,
            today=community_today(community, app.clock),
            unit_label=data.get("unit_label", ""),
            resident_name=data.get("full_name", ""),
        )
    except AgreementError:
        log.exception("agreement template unusable", extra={"fields": {"kind": kind.value}})
        raise
    await state.set_state(MoveIn.rules if kind == AgreementKind.RULES else MoveIn.contract)
    await state.update_data(
        shown={
            "kind": kind.value,
            "version": rendered.version,
            "locale": rendered.locale,
            "sha256": rendered.sha256,
        }
    )
    parts = rendered.parts()
    head = (
        _("Please read the community rules (业主公约):")
        if kind == AgreementKind.RULES
        else _("Please read the property service contract:")
    )
    await message.answer(head)
    for part in parts[:-1]:
        await message.answer(part)
    await message.answer(
        parts[-1],
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [_button(_("✅ I have read and accept"), "acc", AGREEMENTS.index(kind))],
                [_button(_("✖ Cancel"), "quit")],
            ]
        ),
    )


def _current_locale() -> str:
    from aiogram.utils.i18n import get_i18n

    return get_i18n().current_locale


@router.callback_query(MvCb.filter(F.action == "acc"), StateFilter(MoveIn.rules, MoveIn.contract))
async def agreement_accepted(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    data = await state.get_data()
    shown = data.get("shown") or {}
    if (
        callback_data.id >= len(AGREEMENTS)
        or shown.get("kind") != AGREEMENTS[callback_data.id].value
    ):
        await query.answer(_("This button is no longer active."))
        return
    acceptance = Acceptance(
        AgreementKind(shown["kind"]),
        shown["version"],
        shown["locale"],
        shown["sha256"],
        app.clock.now(),
    )
    acceptances = [a for a in data.get("acceptances", []) if a["kind"] != shown["kind"]]
    acceptances.append(acceptance.to_json())
    await state.update_data(acceptances=acceptances, shown=None)
    message = _chat(query)
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass
    if acceptance.kind == AgreementKind.RULES:
        await query.answer(_("Accepted."))
        await _show_agreement(message, state, session, app, AgreementKind.CONTRACT)
        return
    await query.answer(_("Accepted."))
    if data.get("mode") == "invite":
        await _finish_invitation(message, state, session, app, identity)
        return
    await _show_summary(message, state, session, identity)


@router.message(StateFilter(MoveIn.rules, MoveIn.contract))
async def agreement_pending(message: Message) -> None:
    await message.answer(
        _(
            "Please read the document above and press “I have read and accept” to continue, or "
            "send /cancel."
        )
    )


# --- finishing: invitation


async def _finish_invitation(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    data = await state.get_data()
    person_id = _person_id(identity)
    community = await session.get(Community, int(data["community_id"]))
    assert community is not None
    end_date = date.fromisoformat(data["end_date"]) if data.get("end_date") else None
    try:
        residency = await redeem_invitation(
            session,
            int(data["invitation_id"]),
            person_id,
            role=ResidencyRole(data["role"]) if data.get("role") else None,
            end_date=end_date,
            today=community_today(community, app.clock),
            clock=app.clock,
        )
    except InvitationError as exc:
        await state.clear()
        await message.answer(_invitation_error_text(exc.code), reply_markup=menu_keyboard(identity))
        return
    await record_acceptances(
        session,
        person_id=person_id,
        community_id=community.id,
        residency_id=residency.id,
        acceptances=[Acceptance.from_json(a) for a in data["acceptances"]],
    )
    person = await session.get(Person, person_id)
    assert person is not None
    person.full_name = data["full_name"]
    person.phone = data["phone"]
    await state.clear()
    await session.commit()
    refreshed = await load_identity(session, identity.telegram_id)
    await message.answer(
        _("🎉 Welcome home! You are registered in {unit} ({community}) as {role}.").format(
            unit=html.escape(data["unit_label"]),
            community=html.escape(community.name),
            role=role_label(residency.role),
        ),
        reply_markup=menu_keyboard(refreshed),
    )
    try:
        await send_to_admin_group(
            app,
            community,
            lambda: _(
                "🏠 {person} joined {unit} as {role} with an invitation. Phone: {phone}."
            ).format(
                person=person_link(person.telegram_id, person.full_name),
                unit=html.escape(data["unit_label"]),
                role=role_label(residency.role),
                phone=html.escape(person.phone or "—"),
            ),
            thread_id=await movein_thread(app, community),
            reply_markup=lambda: InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("End this residency"),
                            callback_data=EndCb(residency_id=residency.id).pack(),
                        )
                    ]
                ]
            ),
        )
    except TelegramBadRequest:
        log.warning("join notice not posted", exc_info=True)


# --- finishing: application


async def _show_summary(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    data = await state.get_data()
    counts = await draft_counts(session, _person_id(identity))
    lines = [
        _("Please check your application:"),
        _("Community: {name}").format(name=html.escape(data["community_name"])),
        _("Unit: {unit}").format(unit=html.escape(data["unit_label"])),
        _("You are: {role}").format(role=role_label(data["role"])),
    ]
    if data.get("end_date"):
        lines.append(
            _("Lease until: {date}").format(
                date=fmt_date(date.fromisoformat(data["end_date"]), _current_locale())
            )
        )
    lines += [
        _("Name: {name}").format(name=html.escape(data["full_name"])),
        _("Phone: {phone}").format(phone=html.escape(data["phone"])),
        _("Documents: {ids} ID, {proofs} proof").format(
            ids=counts[DocumentKind.ID], proofs=counts[DocumentKind.PROOF]
        ),
        _("Community rules and service contract: accepted"),
    ]
    await state.set_state(MoveIn.confirm)
    await message.answer(
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [_button(_("📨 Submit"), "submit")],
                [_button(_("✖ Cancel"), "quit")],
            ]
        ),
    )


@router.message(MoveIn.confirm)
async def confirm_pending(message: Message) -> None:
    await message.answer(_("Press “Submit” above to send your application, or send /cancel."))


def _submit_error_text(code: str) -> str:
    return {
        "already_member": _("You are already registered in this home."),
        "already_applied": _(
            "You have already applied for this home; the property office is reviewing it."
        ),
        "missing_id": _("Your ID photo is missing. Please start again from the menu."),
        "missing_proof": _("Your proof of residence is missing. Please start again from the menu."),
        "end_date_required": _("The lease end date has passed. Please start again from the menu."),
        "unit_not_found": _("This unit is no longer available."),
    }.get(code, _("The application could not be sent. Please start again from the menu."))


@router.callback_query(MvCb.filter(F.action == "submit"), MoveIn.confirm)
async def submit(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    data = await state.get_data()
    message = _chat(query)
    try:
        application = await submit_application(
            session,
            person_id=_person_id(identity),
            unit_id=int(data["unit_id"]),
            role=ResidencyRole(data["role"]),
            full_name=data["full_name"],
            phone=data["phone"],
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            acceptances=[Acceptance.from_json(a) for a in data["acceptances"]],
            clock=app.clock,
        )
    except ResidentsError as exc:
        await state.clear()
        await query.answer()
        await message.answer(_submit_error_text(exc.code), reply_markup=menu_keyboard(identity))
        return
    await state.clear()
    await session.commit()  # the application is safe before we talk to Telegram
    await query.answer(_("Sent."))
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass
    refreshed = await load_identity(session, identity.telegram_id)
    await message.answer(
        _(
            "📨 Your application #{id} for {unit} is with the property office. I will tell you as "
            "soon as they decide."
        ).format(id=application.id, unit=html.escape(data["unit_label"])),
        reply_markup=menu_keyboard(refreshed),
    )
    try:
        await post_application(app, session, application.id)
    except Exception:
        # Stored and visible to staff later: housekeeping re-posts unposted ones.
        log.exception("application not posted", extra={"fields": {"application": application.id}})


# --- more documents after "ask for more" ----------------------------------------------------------


def more_documents_keyboard(application_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("📎 Send documents"), "more", application_id)]]
    )


@router.callback_query(MvCb.filter(F.action == "more"), StateFilter("*"))
async def more_documents(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    from core.movein_models import ApplicationStatus, MoveInApplication

    application = await session.get(MoveInApplication, callback_data.id)
    if (
        application is None
        or application.person_id != identity.person_id
        or application.status != ApplicationStatus.MORE_INFO
    ):
        await query.answer(_("This request is no longer open."), show_alert=True)
        return
    await clear_drafts(session, _person_id(identity), DocumentKind.EXTRA)
    await state.set_state(MoveIn.more_docs)
    await state.set_data({"app_id": application.id})
    await query.answer()
    await _chat(query).answer(
        _("Send the photos or files the property office asked for, then press Continue.")
    )


async def _send_more_documents(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    application_id: int,
) -> None:
    message = _chat(query)
    try:
        await add_more_documents(session, application_id, _person_id(identity))
    except ResidentsError:
        await state.clear()
        await query.answer()
        await message.answer(
            _("This request is no longer open."), reply_markup=menu_keyboard(identity)
        )
        return
    await state.clear()
    await session.commit()
    await query.answer(_("Sent."))
    await message.answer(_("Thank you. The property office will look at your application again."))
    try:
        await post_application(app, session, application_id)
    except Exception:
        log.exception(
            "application not re-posted", extra={"fields": {"application": application_id}}
        )


# --- family members -------------------------------------------------------------------------------


def _owner_units(identity: Identity) -> list[UnitMembership]:
    return [u for u in identity.units if u.role == ResidencyRole.OWNER]


@router.callback_query(F.data == "menu:family", StateFilter("*"))
async def family_menu(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    units = _owner_units(identity)
    if not units:
        await query.answer(_("Only owners can add family members."), show_alert=True)
        return
    if len(units) == 1:
        await _family_of_unit(query, session, units[0].unit_id, new_message=True)
        return
    await query.answer()
    await _chat(query).answer(
        _("For which home?"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=u.unit_label, callback_data=FamCb(action="u", id=u.unit_id).pack()
                    )
                ]
                for u in units
            ]
        ),
    )


@router.callback_query(FamCb.filter(F.action == "u"), StateFilter("*"))
async def family_unit(
    query: CallbackQuery, callback_data: FamCb, session: AsyncSession, identity: Identity
) -> None:
    if callback_data.id not in {u.unit_id for u in _owner_units(identity)}:
        await query.answer(_("Only owners can add family members."), show_alert=True)
        return
    await _family_of_unit(query, session, callback_data.id, new_message=False)


async def _family_of_unit(
    query: CallbackQuery, session: AsyncSession, unit_id: int, *, new_message: bool
) -> None:
    unit = await load_unit(session, unit_id)
    members = [r for r in await unit_residents(session, unit_id) if r.role == ResidencyRole.FAMILY]
    lines = [_("Family members in {unit}:").format(unit=html.escape(unit.label))]
    lines += [f"• {html.escape(m.full_name or '?')}" for m in members] or [_("none yet")]
    rows = [
        [
            InlineKeyboardButton(
                text=_("🔗 Invite someone with Telegram"),
                callback_data=FamCb(action="link", id=unit_id).pack(),
            )
        ],
        [
            InlineKeyboardButton(
                text=_("👶 Add someone without Telegram"),
                callback_data=FamCb(action="add", id=unit_id).pack(),
            )
        ],
    ]
    rows += [
        [
            InlineKeyboardButton(
                text=_("Remove {name}").format(name=m.full_name or "?"),
                callback_data=FamCb(action="rm", id=m.residency_id).pack(),
            )
        ]
        for m in members
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    if new_message:
        await query.answer()
        await _chat(query).answer("\n".join(lines), reply_markup=markup)
    else:
        await _show(query, "\n".join(lines), markup)


@router.callback_query(FamCb.filter(F.action == "link"), StateFilter("*"))
async def family_link(
    query: CallbackQuery,
    callback_data: FamCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    try:
        owner = await owner_residency(session, _person_id(identity), callback_data.id)
        invitation, code = await create_family_invitation(
            session, owner, secret_key=app.secret_key, clock=app.clock
        )
    except (ResidentsError, InvitationError):
        await query.answer(_("Only owners can add family members."), show_alert=True)
        return
    unit = await load_unit(session, callback_data.id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    link = app.deep_link(deep_link_payload(code))
    await query.answer()
    await _chat(query).answer(
        _("Forward the next message to your family member. The link works once, for one person.")
    )
    await _chat(query).answer(
        _(
            "You are invited to join {unit} at {community} on our community service desk.\n"
            "Open: {link}\nOr send the code {code} to @{bot}.\nValid until {expires}."
        ).format(
            unit=html.escape(unit.label),
            community=html.escape(community.name),
            link=link,
            code=format_code(code),
            bot=app.bot_username,
            expires=fmt_short_datetime(
                invitation.expires_at, community.timezone, _current_locale()
            ),
        )
    )


@router.callback_query(FamCb.filter(F.action == "add"), StateFilter("*"))
async def family_add(
    query: CallbackQuery, callback_data: FamCb, state: FSMContext, identity: Identity
) -> None:
    if callback_data.id not in {u.unit_id for u in _owner_units(identity)}:
        await query.answer(_("Only owners can add family members."), show_alert=True)
        return
    await state.set_state(Family.name)
    await state.set_data({"unit_id": callback_data.id})
    await query.answer()
    await _chat(query).answer(
        _("The family member's full name (for example a child or an elderly parent):")
    )


@router.message(Family.name, F.text)
async def family_name(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    name = " ".join((message.text or "").split())
    if name.startswith("/") or not _NAME_OK.match(name):
        await message.answer(_("Please type the name with letters only (2 to 60 characters)."))
        return
    data = await state.get_data()
    try:
        residency = await add_family_member(
            session, _person_id(identity), int(data["unit_id"]), name, clock=app.clock
        )
    except ResidentsError:
        await state.clear()
        await message.answer(_("Only owners can add family members."))
        return
    await state.clear()
    unit = await load_unit(session, residency.unit_id)
    await message.answer(
        _("{name} is now registered as a family member in {unit}.").format(
            name=html.escape(name), unit=html.escape(unit.label)
        ),
        reply_markup=menu_keyboard(identity),
    )


@router.message(Family.name)
async def family_name_not_text(message: Message) -> None:
    await message.answer(_("Please type the family member's name."))


@router.callback_query(FamCb.filter(F.action.in_({"rm", "rmy"})), StateFilter("*"))
async def family_remove(
    query: CallbackQuery,
    callback_data: FamCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    from core.models import Residency

    residency = await session.get(Residency, callback_data.id)
    if residency is None or residency.unit_id not in {u.unit_id for u in _owner_units(identity)}:
        await query.answer(_("Only owners can remove family members."), show_alert=True)
        return
    person = await session.get(Person, residency.person_id)
    name = person.full_name if person else "?"
    if callback_data.action == "rm":
        await _show(
            query,
            _("Remove {name} from your home? Their passes and access are revoked.").format(
                name=html.escape(name)
            ),
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("Yes, remove"),
                            callback_data=FamCb(action="rmy", id=residency.id).pack(),
                        )
                    ],
                    [
                        InlineKeyboardButton(
                            text=_("⬅ Back"),
                            callback_data=FamCb(action="u", id=residency.unit_id).pack(),
                        )
                    ],
                ]
            ),
        )
        return
    try:
        await remove_family_member(session, _person_id(identity), residency.id, clock=app.clock)
    except ResidentsError:
        await query.answer(_("Only owners can remove family members."), show_alert=True)
        return
    await _show(query, _("{name} was removed from your home.").format(name=html.escape(name)))
