"""The resident's side of tickets: filing, "My tickets", talking to staff, closing the loop.

Filing is one conversation (:class:`FileTicket`): kind → category or hazard
type → place (own unit, or a common area as text and/or a location pin) →
description → up to 5 photos or 1 video → urgency → confirm. Each step takes
only what it asks for and re-asks otherwise; the answers stay in the
conversation data (photos in ``ticket_draft_media``, because album items arrive
concurrently) until "Submit" writes the ticket in one transaction.

Replies to any of the bot's ticket messages, and "Write to staff" from
"My tickets", land in the ticket's topic in the admin group.
"""

from __future__ import annotations

import logging
import secrets
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import private_command
from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from core.tickets import service
from core.tickets.models import (
    HazardType,
    LinkRole,
    RepairCategory,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
)
from handlers.menu import menu_entry, residents
from handlers.tickets_ui import (
    CAPTION_LIMIT,
    KIND_ICONS,
    MyTicket,
    RateTicket,
    TicketView,
    category_label,
    duty_phone,
    group_locale,
    hazard_label,
    kind_label,
    load_view,
    mention,
    placement_kwargs,
    post_in_ticket,
    publish_ticket,
    resident_summary,
    resolved_keyboard,
    status_label,
    subject_label,
    sync_group,
    ticket_ref,
    urgency_label,
    with_header,
)

log = logging.getLogger(__name__)

router = Router(name="tickets_resident")
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

menu_entry("tickets_new", __("🛠 Report a problem"), residents, order=20)
menu_entry("tickets_mine", __("📋 My tickets"), residents, order=21)
private_command("ticket", __("Report a problem"), order=20)
private_command("mytickets", __("My tickets"), order=21)

MIN_DESCRIPTION = 3
# A text message that is not a command (commands go to their own handlers).
PLAIN_TEXT = F.text & ~F.text.startswith("/")


class FileTicket(StatesGroup):
    kind = State()
    category = State()
    hazard = State()
    place = State()
    common_area = State()
    common_more = State()
    description = State()
    media = State()
    urgency = State()
    confirm = State()


class TicketTalk(StatesGroup):
    writing = State()  # the next message goes to the ticket's topic
    reopen_reason = State()
    rating_comment = State()


class Filing(CallbackData, prefix="tf"):
    step: str
    value: str


def _button(text: str, step: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Filing(step=step, value=value).pack())


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _cancel_row() -> list[InlineKeyboardButton]:
    return [_button(_("✖️ Cancel"), "abort", "x")]


async def _reply(event: Message | CallbackQuery, text: str, **kwargs: Any) -> Message | None:
    """Answer a message or a button press with a new message in the same chat."""
    if isinstance(event, CallbackQuery):
        if isinstance(event.message, Message):
            return await event.message.answer(text, **kwargs)
        return None
    return await event.answer(text, **kwargs)


# ------------------------------------------------------------------ questions


async def ask_kind(event: Message | CallbackQuery) -> None:
    buttons = [
        _button(f"{KIND_ICONS[k]} {kind_label(k)}", "kind", k.value)
        for k in (TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.SUGGESTION, TicketKind.HAZARD)
    ]
    await _reply(
        event,
        _("What would you like to report?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons), _cancel_row()]),
    )


async def ask_category(event: Message | CallbackQuery) -> None:
    buttons = [_button(category_label(c), "category", c.value) for c in RepairCategory]
    await _reply(
        event,
        _("What needs repairing?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons), _cancel_row()]),
    )


async def ask_hazard(event: Message | CallbackQuery) -> None:
    buttons = [_button(hazard_label(h), "hazard", h.value) for h in HazardType]
    await _reply(
        event,
        _("What kind of hazard?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons, 1), _cancel_row()]),
    )


async def _community_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = (
        await session.execute(select(Community.id, Community.name).where(Community.id.in_(ids)))
    ).all()
    return {row[0]: row[1] for row in rows}


async def ask_place(
    event: Message | CallbackQuery,
    identity: Identity,
    session: AsyncSession,
    *,
    common_area: bool,
) -> None:
    buttons = [_button(f"🏠 {u.unit_label}", "place", f"u{u.unit_id}") for u in identity.units]
    if common_area:
        communities = sorted({u.community_id for u in identity.units})
        names = await _community_names(session, set(communities))
        for community_id in communities:
            label = _("🌳 Common area")
            if len(communities) > 1:
                label += f" — {names.get(community_id, '')}"
            buttons.append(_button(label, "place", f"c{community_id}"))
        text = _("Where is it? Your home, or a common area?")
    else:
        text = _("Which home is this about?")
    await _reply(
        event,
        text,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons, 1), _cancel_row()]),
    )


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📍 Share my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def ask_common_area(event: Message | CallbackQuery) -> None:
    await _reply(
        event,
        _(
            "Which common area? Describe the place in a few words "
            "(e.g. “Building 5, north fire lane”), or share a location pin."
        ),
        reply_markup=_location_keyboard(),
    )


async def ask_common_more(event: Message | CallbackQuery, data: dict[str, Any]) -> None:
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[_button(_("Continue ➡️"), "more", "go")]])
    if data.get("lat") is None:
        await _reply(
            event,
            _("Thanks. You can also share a location pin (📍 button below), or press Continue."),
            reply_markup=_location_keyboard(),
        )
        await _reply(event, _("No pin needed?"), reply_markup=keyboard)
    else:
        await _reply(
            event,
            _("Got the pin. Add a few words about the place too, or press Continue."),
            reply_markup=keyboard,
        )


async def ask_description(event: Message | CallbackQuery) -> None:
    await _reply(
        event,
        _(
            "Describe the problem in a message: what happened, since when, "
            "anything staff should know."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


def _media_keyboard(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(label, "media", "done")]])


async def ask_media(event: Message | CallbackQuery) -> None:
    await _reply(
        event,
        _(
            "Add up to {photos} photos or 1 video — as an album or one by one. "
            "Press Done when finished, or Skip."
        ).format(photos=service.MAX_PHOTOS),
        reply_markup=_media_keyboard(_("Skip ➡️")),
    )


async def ask_urgency(event: Message | CallbackQuery) -> None:
    buttons = [
        _button(_("Normal"), "urgency", Urgency.NORMAL.value),
        _button(_("🟠 Urgent"), "urgency", Urgency.URGENT.value),
        _button(_("🔴 Emergency"), "urgency", Urgency.EMERGENCY.value),
    ]
    await _reply(
        event,
        _(
            "How urgent is it?\n"
            "🟠 Urgent: it stops normal life at home (no water, a door that won't lock).\n"
            "🔴 Emergency: danger now — gas smell, flooding, power cut, "
            "someone trapped in an elevator."
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[b] for b in buttons] + [_cancel_row()]),
    )


def _needs_location(kind: TicketKind) -> bool:
    return kind in (TicketKind.REPAIR, TicketKind.HAZARD)


async def _summary(data: dict[str, Any], identity: Identity, session: AsyncSession) -> str:
    kind = TicketKind(data["kind"])
    subject = kind_label(kind)
    if data.get("category"):
        subject += " · " + category_label(RepairCategory(data["category"]))
    if data.get("hazard"):
        subject += " · " + hazard_label(HazardType(data["hazard"]))
    if data.get("unit_id") is not None:
        unit = identity.unit(int(data["unit_id"]))
        place = unit.unit_label if unit else "?"
    else:
        parts = []
        if data.get("location_text"):
            parts.append(data["location_text"])
        if data.get("lat") is not None:
            parts.append(_("📍 location pin"))
        place = _("Common area") + (": " + ", ".join(parts) if parts else "")
    media = await service.draft_media(session, data["draft"])
    lines = [
        _("<b>Please check your report</b>"),
        _("Type: {subject}").format(subject=escape(subject)),
        _("Where: {place}").format(place=escape(place)),
        _("Urgency: {urgency}").format(
            urgency=urgency_label(Urgency(data.get("urgency", "normal")))
        ),
        _("Attachments: {count}").format(count=len(media)),
        "",
        escape(data["description"]),
    ]
    return "\n".join(lines)


async def ask_confirm(
    event: Message | CallbackQuery, data: dict[str, Any], identity: Identity, session: AsyncSession
) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("✅ Submit"), "confirm", "submit")], _cancel_row()]
    )
    await _reply(event, await _summary(data, identity, session), reply_markup=keyboard)


async def _show_duty_phone(
    event: Message | CallbackQuery, app: AppContext, session: AsyncSession, community_id: int
) -> None:
    community = await session.get(Community, community_id)
    phone = duty_phone(app, community) if community else app.settings.duty_phone
    if phone:
        text = _(
            "🚨 For an emergency, call the duty phone right now: <b>{phone}</b>\n"
            "I am filing your report as well."
        ).format(phone=escape(phone))
    else:
        text = _(
            "🚨 For an emergency, call the property office or 110/119/120 right now. "
            "I am filing your report as well."
        )
    await _reply(event, text)


# -------------------------------------------------------------------- start


async def _start_filing(
    event: Message | CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if not identity.is_resident or identity.person_id is None:
        await _reply(
            event,
            _(
                "Only residents can report problems here. Join your home first "
                "(the invitation from your property office, or “Move in”)."
            ),
        )
        return
    communities = {u.community_id for u in identity.units}
    if len(communities) == 1:
        refusal = await _limit_refusal(session, app, next(iter(communities)), identity.person_id)
        if refusal:
            await state.clear()
            await _reply(event, refusal)
            return
    await state.clear()
    await state.set_state(FileTicket.kind)
    await state.set_data({"draft": secrets.token_hex(12)})
    await session.commit()  # before asking: the answer may come at once
    await ask_kind(event)


async def _limit_refusal(
    session: AsyncSession, app: AppContext, community_id: int, person_id: int
) -> str | None:
    community = await session.get(Community, community_id)
    if community is None:
        return None
    try:
        await service.check_daily_limit(session, app.clock, community, person_id)
    except service.DailyLimitReached as exc:
        return _limit_text(exc.limit)
    return None


def _limit_text(limit: int) -> str:
    return _(
        "Sorry, you have already filed {limit} reports today, the daily maximum. "
        "Please add details to an existing ticket in “My tickets”, or try again tomorrow. "
        "For an emergency, call the duty phone."
    ).format(limit=limit)


@router.callback_query(F.data == "menu:tickets_new", StateFilter("*"))
async def menu_new(
    query: CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    await query.answer()
    await _start_filing(query, state, identity, session, app)


@router.message(Command("ticket"), StateFilter("*"))
async def command_new(
    message: Message, state: FSMContext, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    await _start_filing(message, state, identity, session, app)


@router.callback_query(Filing.filter(F.step == "abort"), StateFilter(FileTicket))
async def abort_filing(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(
            _("Cancelled. Nothing was filed."), reply_markup=ReplyKeyboardRemove()
        )


# ---------------------------------------------------------------- the steps


@router.callback_query(FileTicket.kind, Filing.filter(F.step == "kind"))
async def chose_kind(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    try:
        kind = TicketKind(callback_data.value)
    except ValueError:
        await query.answer()
        return
    await query.answer()
    await state.update_data(kind=kind.value)
    if kind == TicketKind.REPAIR:
        await state.set_state(FileTicket.category)
        await session.commit()  # before asking: the answer may come at once
        await ask_category(query)
    elif kind == TicketKind.HAZARD:
        await state.set_state(FileTicket.hazard)
        await session.commit()  # before asking: the answer may come at once
        await ask_hazard(query)
    elif len(identity.units) == 1:
        await _chose_unit(query, state, identity, session, app, identity.units[0].unit_id)
    else:
        await state.set_state(FileTicket.place)
        await session.commit()  # before asking: the answer may come at once
        await ask_place(query, identity, session, common_area=False)


@router.callback_query(FileTicket.category, Filing.filter(F.step == "category"))
async def chose_category(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
) -> None:
    await query.answer()
    try:
        category = RepairCategory(callback_data.value)
    except ValueError:
        return
    await state.update_data(category=category.value)
    await state.set_state(FileTicket.place)
    await session.commit()  # before asking: the answer may come at once
    await ask_place(query, identity, session, common_area=True)


@router.callback_query(FileTicket.hazard, Filing.filter(F.step == "hazard"))
async def chose_hazard(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
) -> None:
    await query.answer()
    try:
        hazard = HazardType(callback_data.value)
    except ValueError:
        return
    await state.update_data(hazard=hazard.value)
    await state.set_state(FileTicket.place)
    await session.commit()  # before asking: the answer may come at once
    await ask_place(query, identity, session, common_area=True)


async def _chose_unit(
    event: CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
    unit_id: int,
) -> None:
    unit = identity.unit(unit_id)
    if unit is None or identity.person_id is None:
        await ask_place(event, identity, session, common_area=True)
        return
    refusal = await _limit_refusal(session, app, unit.community_id, identity.person_id)
    if refusal:
        await state.clear()
        await _reply(event, refusal)
        return
    await state.update_data(unit_id=unit.unit_id, community_id=unit.community_id)
    await state.set_state(FileTicket.description)
    await session.commit()  # before asking: the answer may come at once
    await ask_description(event)


@router.callback_query(FileTicket.place, Filing.filter(F.step == "place"))
async def chose_place(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    await query.answer()
    value = callback_data.value
    if value[:1] not in ("u", "c") or not value[1:].isdigit():
        return
    target = int(value[1:])
    if value.startswith("u"):
        await _chose_unit(query, state, identity, session, app, target)
        return
    data = await state.get_data()
    if target not in {u.community_id for u in identity.units} or not _needs_location(
        TicketKind(data["kind"])
    ):
        return
    assert identity.person_id is not None
    refusal = await _limit_refusal(session, app, target, identity.person_id)
    if refusal:
        await state.clear()
        await _reply(query, refusal)
        return
    await state.update_data(unit_id=None, community_id=target)
    await state.set_state(FileTicket.common_area)
    await session.commit()  # before asking: the answer may come at once
    await ask_common_area(query)


def _is_plain_text(message: Message) -> bool:
    return bool(message.text) and not (message.text or "").startswith("/")


@router.message(FileTicket.common_area, F.location)
@router.message(FileTicket.common_more, F.location)
async def common_area_pin(message: Message, state: FSMContext, session: AsyncSession) -> None:
    assert message.location is not None
    await state.update_data(lat=message.location.latitude, lon=message.location.longitude)
    data = await state.get_data()
    if data.get("location_text"):
        await state.set_state(FileTicket.description)
        await session.commit()  # before asking: the answer may come at once
        await message.answer(_("Got the pin."), reply_markup=ReplyKeyboardRemove())
        await ask_description(message)
        return
    await state.set_state(FileTicket.common_more)
    await session.commit()  # before asking: the answer may come at once
    await message.answer(_("Got the pin."), reply_markup=ReplyKeyboardRemove())
    await ask_common_more(message, await state.get_data())


@router.message(FileTicket.common_area, PLAIN_TEXT)
@router.message(FileTicket.common_more, PLAIN_TEXT)
async def common_area_text(message: Message, state: FSMContext, session: AsyncSession) -> None:
    text = (message.text or "").strip()
    if not text or len(text) > service.MAX_LOCATION_TEXT:
        await message.answer(
            _("Please describe the place in at most {limit} characters.").format(
                limit=service.MAX_LOCATION_TEXT
            )
        )
        return
    await state.update_data(location_text=text)
    data = await state.get_data()
    if data.get("lat") is not None:
        await state.set_state(FileTicket.description)
        await session.commit()  # before asking: the answer may come at once
        await ask_description(message)
        return
    await state.set_state(FileTicket.common_more)
    await session.commit()  # before asking: the answer may come at once
    await ask_common_more(message, data)


@router.callback_query(FileTicket.common_more, Filing.filter(F.step == "more"))
async def common_area_done(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await query.answer()
    await state.set_state(FileTicket.description)
    await session.commit()  # before asking: the answer may come at once
    await ask_description(query)


@router.message(FileTicket.description, PLAIN_TEXT)
async def got_description(message: Message, state: FSMContext, session: AsyncSession) -> None:
    text = (message.text or "").strip()
    if len(text) < MIN_DESCRIPTION:
        await message.answer(_("Please write a little more, so staff know what to bring."))
        return
    if len(text) > service.MAX_DESCRIPTION:
        await message.answer(
            _("That is too long; please keep it under {limit} characters.").format(
                limit=service.MAX_DESCRIPTION
            )
        )
        return
    await state.update_data(description=text)
    await state.set_state(FileTicket.media)
    await session.commit()  # before asking: the answer may come at once
    await ask_media(message)


@router.message(FileTicket.media, F.photo | F.video)
async def got_media(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext
) -> None:
    data = await state.get_data()
    if message.photo:
        largest = message.photo[-1]
        kind, file_id, unique = "photo", largest.file_id, largest.file_unique_id
    else:
        assert message.video is not None
        kind, file_id, unique = "video", message.video.file_id, message.video.file_unique_id
    result = await service.add_draft_media(
        session,
        app.clock,
        data["draft"],
        kind=kind,
        file_id=file_id,
        file_unique_id=unique,
        media_group_id=message.media_group_id,
    )
    if result.duplicate or not result.first_of_group:
        return  # one answer per album (or per repeated delivery) is enough
    await session.commit()  # "Done" may be pressed the moment the answer arrives
    done = _media_keyboard(_("Done ➡️"))
    if not result.accepted:
        if result.reason == "mixed":
            text = _("Please send either photos or one video, not both. That one was not added.")
        elif result.reason == "too_many_videos":
            text = _("Only one video fits; the extra one was not added.")
        else:
            text = _("Only {limit} photos fit; the extra ones were not added.").format(
                limit=service.MAX_PHOTOS
            )
        await message.answer(text, reply_markup=done)
        return
    if message.media_group_id is not None:
        text = _("Got your album. Send more, or press Done.")
    elif kind == "video":
        text = _("Got the video. Press Done to continue.")
    else:
        text = _("Got photo {count} of {limit}. Send more, or press Done.").format(
            count=result.photos, limit=service.MAX_PHOTOS
        )
    await message.answer(text, reply_markup=done)


@router.callback_query(FileTicket.media, Filing.filter(F.step == "media"))
async def media_done(
    query: CallbackQuery, state: FSMContext, identity: Identity, session: AsyncSession
) -> None:
    await query.answer()
    data = await state.get_data()
    if _needs_location(TicketKind(data["kind"])):
        await state.set_state(FileTicket.urgency)
        await session.commit()  # before asking: the answer may come at once
        await ask_urgency(query)
    else:
        await state.update_data(urgency=Urgency.NORMAL.value)
        await state.set_state(FileTicket.confirm)
        await session.commit()  # before asking: the answer may come at once
        await ask_confirm(query, await state.get_data(), identity, session)


@router.callback_query(FileTicket.urgency, Filing.filter(F.step == "urgency"))
async def chose_urgency(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    await query.answer()
    try:
        urgency = Urgency(callback_data.value)
    except ValueError:
        return
    await state.update_data(urgency=urgency.value)
    data = await state.get_data()
    if urgency == Urgency.EMERGENCY:
        # The phone number first: in an emergency, a call beats any chat.
        await _show_duty_phone(query, app, session, int(data["community_id"]))
    await state.set_state(FileTicket.confirm)
    await session.commit()  # before asking: the answer may come at once
    await ask_confirm(query, data, identity, session)


@router.callback_query(FileTicket.confirm, Filing.filter(F.step == "confirm"))
async def submit(
    query: CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    data = await state.get_data()
    if identity.person_id is None or not await service.claim_draft_submission(
        session, app.clock, data["draft"]
    ):
        await query.answer()
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    community = await session.get(Community, int(data["community_id"]))
    if community is None:
        await state.clear()
        await _reply(query, _("Sorry, that community no longer exists here."))
        return
    media = await service.draft_media(session, data["draft"])
    try:
        ticket = await service.file_ticket(
            session,
            app.clock,
            community=community,
            reporter_person_id=identity.person_id,
            kind=TicketKind(data["kind"]),
            category=RepairCategory(data["category"]) if data.get("category") else None,
            hazard=HazardType(data["hazard"]) if data.get("hazard") else None,
            unit_id=data.get("unit_id"),
            location_text=data.get("location_text") or "",
            latitude=data.get("lat"),
            longitude=data.get("lon"),
            description=data["description"],
            urgency=Urgency(data.get("urgency", "normal")),
            media=media,
        )
    except service.DailyLimitReached as exc:
        # Nothing of the attempt is kept; the refusal is the whole answer.
        await session.rollback()
        await state.clear()
        await _reply(query, _limit_text(exc.limit))
        return
    except service.NotResident:
        await session.rollback()
        await state.clear()
        await _reply(query, _("Sorry, you are no longer a resident of that home."))
        return
    except service.InvalidTicketData as exc:
        log.warning("invalid ticket draft", extra={"fields": {"field": exc.field}})
        await session.rollback()
        await state.clear()
        await _reply(query, _("Sorry, something in the report was not valid. Please start again."))
        return
    await service.discard_draft_media(session, data["draft"])
    await state.clear()
    # The ticket must exist whatever happens next in the admin group.
    await session.commit()
    view = await load_view(session, ticket)
    if await publish_ticket(app, session, view):
        text = _(
            "✅ Your report is filed as ticket <b>{ref}</b>. The property office sees it now; "
            "I will tell you here when someone takes it.\n"
            "Reply to this message to add anything for the staff."
        ).format(ref=ticket_ref(ticket))
    else:
        # Saved, but not in front of staff yet (no group bound, or Telegram failed):
        # the publisher job posts it as soon as it can. Say so honestly.
        text = _(
            "✅ Your report is filed as ticket <b>{ref}</b>. It will reach the property "
            "office's staff group as soon as it is connected; I will tell you here when "
            "someone takes it."
        ).format(ref=ticket_ref(ticket))
    if ticket.urgency == Urgency.EMERGENCY:
        phone = duty_phone(app, community)
        if phone:
            text += "\n\n" + _("🚨 Emergency duty phone: <b>{phone}</b>").format(
                phone=escape(phone)
            )
    sent = await _reply(query, text)
    if sent is not None:
        await service.link_message(
            session, ticket.id, sent.chat.id, sent.message_id, LinkRole.NOTICE
        )


# Re-asks: anything else in a filing step gets the question again.


@router.message(FileTicket.kind)
@router.message(FileTicket.category)
@router.message(FileTicket.hazard)
@router.message(FileTicket.place)
@router.message(FileTicket.urgency)
@router.message(FileTicket.confirm)
async def expected_a_button(message: Message) -> None:
    await message.answer(_("Please choose one of the buttons above (or send /cancel)."))


@router.message(FileTicket.common_area)
@router.message(FileTicket.common_more)
async def expected_a_place(message: Message) -> None:
    await message.answer(
        _("Please describe the place in words or share a location pin (or send /cancel).")
    )


@router.message(FileTicket.description)
async def expected_a_description(message: Message) -> None:
    await message.answer(_("Please describe the problem in a text message (or send /cancel)."))


@router.message(FileTicket.media)
async def expected_media(message: Message) -> None:
    await message.answer(
        _("Please send photos or one video, or press Done."),
        reply_markup=_media_keyboard(_("Done ➡️")),
    )


# --------------------------------------------------------------- my tickets


def _list_keyboard(tickets: list[Ticket]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{KIND_ICONS[t.kind]} {ticket_ref(t)} {kind_label(t.kind)} · "
                f"{status_label(t.status)}",
                callback_data=MyTicket(action="open", ticket_id=t.id).pack(),
            )
        ]
        for t in tickets
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _show_list(
    event: Message | CallbackQuery, identity: Identity, session: AsyncSession
) -> None:
    if identity.person_id is None:
        return
    tickets = await service.tickets_of_reporter(session, identity.person_id)
    if not tickets:
        await _reply(event, _("You have no tickets yet. Use “Report a problem” to file one."))
        return
    await _reply(event, _("Your tickets (open ones first):"), reply_markup=_list_keyboard(tickets))


@router.callback_query(F.data == "menu:tickets_mine", StateFilter("*"))
async def menu_mine(
    query: CallbackQuery, state: FSMContext, identity: Identity, session: AsyncSession
) -> None:
    await query.answer()
    await state.clear()
    await _show_list(query, identity, session)


@router.message(Command("mytickets"), StateFilter("*"))
async def command_mine(
    message: Message, state: FSMContext, identity: Identity, session: AsyncSession
) -> None:
    await state.clear()
    await _show_list(message, identity, session)


def _detail_keyboard(ticket: Ticket) -> InlineKeyboardMarkup:
    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=MyTicket(action=action, ticket_id=ticket.id).pack()
        )

    rows: list[list[InlineKeyboardButton]] = []
    if not ticket.is_final:
        rows.append([button(_("✉️ Write to staff"), "write")])
    if ticket.status == TicketStatus.RESOLVED:
        rows.append([button(_("⭐ Confirm and rate"), "rate"), button(_("🔁 Reopen"), "reopen")])
    if ticket.is_open:
        rows.append([button(_("✖️ Cancel this ticket"), "cancel")])
    rows.append([button(_("« All my tickets"), "list")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _own_ticket(
    query: CallbackQuery, session: AsyncSession, identity: Identity, ticket_id: int
) -> TicketView | None:
    try:
        ticket = await service.get_ticket(session, ticket_id)
    except service.TicketNotFound:
        ticket = None
    if ticket is None or ticket.reporter_person_id != identity.person_id:
        await query.answer(_("This ticket is not yours."), show_alert=True)
        return None
    return await load_view(session, ticket)


@router.callback_query(MyTicket.filter(F.action == "list"), StateFilter("*"))
async def back_to_list(
    query: CallbackQuery, state: FSMContext, identity: Identity, session: AsyncSession
) -> None:
    await query.answer()
    await state.clear()
    await _show_list(query, identity, session)


@router.callback_query(MyTicket.filter(F.action == "open"), StateFilter("*"))
async def open_ticket(
    query: CallbackQuery,
    callback_data: MyTicket,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None:
        return
    await query.answer()
    await state.clear()
    sent = await _reply(
        query, resident_summary(view, app.clock.now()), reply_markup=_detail_keyboard(view.ticket)
    )
    if sent is not None:
        await service.link_message(
            session, view.ticket.id, sent.chat.id, sent.message_id, LinkRole.NOTICE
        )


@router.callback_query(MyTicket.filter(F.action == "write"), StateFilter("*"))
async def start_writing(
    query: CallbackQuery,
    callback_data: MyTicket,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None:
        return
    await query.answer()
    if view.ticket.is_final:
        await _reply(query, _closed_text(view.ticket))
        return
    await state.set_state(TicketTalk.writing)
    await state.set_data({"ticket_id": view.ticket.id})
    await session.commit()  # before asking: the answer may come at once
    await _reply(
        query,
        _(
            "Send your message for the staff about {ref}: text, a photo, a document or a video."
        ).format(ref=ticket_ref(view.ticket)),
    )


def _closed_text(ticket: Ticket) -> str:
    return _(
        "Ticket {ref} is {status}; messages no longer reach the staff. "
        "Use “Report a problem” for something new."
    ).format(ref=ticket_ref(ticket), status=status_label(ticket.status).lower())


RELAYABLE = F.text | F.photo | F.document | F.video


async def relay_from_resident(
    message: Message, app: AppContext, session: AsyncSession, view: TicketView
) -> None:
    """Post the resident's message in the ticket's topic and tell them it went through."""
    assert app.bot is not None
    ticket = view.ticket
    if ticket.is_final:
        await message.answer(_closed_text(ticket))
        return
    if message.text is not None and message.text.startswith("/"):
        raise SkipHandler()
    if not (message.text or message.photo or message.document or message.video):
        await message.answer(_("Only text, photos, documents and videos can be sent to the staff."))
        return
    if ticket.admin_chat_id is None or ticket.card_message_id is None:
        await message.answer(
            _(
                "The property office's group is not connected yet, so I could not pass this on. "
                "Please try again later, or call the office."
            )
        )
        return
    with app.i18n.use_locale(group_locale(app, view.community)):
        header = _("💬 <b>{name}</b> ({place}) about {ref}:").format(
            name=escape(view.reporter.full_name if view.reporter else ""),
            place=escape(view.place),
            ref=ticket_ref(ticket),
        )
    placement = placement_kwargs(ticket)
    chat_id = ticket.admin_chat_id
    body = message.text or message.caption or ""
    text = with_header(header, body)
    caption = with_header(header, body, CAPTION_LIMIT)
    try:
        if message.photo:
            sent = await app.bot.send_photo(
                chat_id, message.photo[-1].file_id, caption=caption, **placement
            )
        elif message.document:
            sent = await app.bot.send_document(
                chat_id, message.document.file_id, caption=caption, **placement
            )
        elif message.video:
            sent = await app.bot.send_video(
                chat_id, message.video.file_id, caption=caption, **placement
            )
        else:
            sent = await app.bot.send_message(chat_id, text, **placement)
    except Exception:
        log.exception("relay to the admin group failed", extra={"fields": {"ticket": ticket.id}})
        await message.answer(_("Sorry, I could not pass that on just now. Please try again."))
        return
    await service.link_message(
        session, ticket.id, sent.chat.id, sent.message_id, LinkRole.FROM_RESIDENT
    )
    await service.link_message(
        session, ticket.id, message.chat.id, message.message_id, LinkRole.FROM_RESIDENT
    )
    await message.reply(_("Sent to the staff ({ref}).").format(ref=ticket_ref(ticket)))


@router.message(TicketTalk.writing, RELAYABLE)
async def write_to_staff(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    data = await state.get_data()
    try:
        ticket = await service.get_ticket(session, int(data.get("ticket_id", 0)))
    except service.TicketNotFound:
        await state.clear()
        return
    if ticket.reporter_person_id != identity.person_id:
        await state.clear()
        return
    if message.text is not None and message.text.startswith("/"):
        await message.answer(_("Please send the message itself, or /cancel."))
        return
    await state.clear()
    await relay_from_resident(message, app, session, await load_view(session, ticket))


@router.message(TicketTalk.writing)
async def write_expected(message: Message) -> None:
    await message.answer(
        _(
            "Only text, photos, documents and videos can be sent to the staff. "
            "Try again, or /cancel."
        )
    )


@router.message(StateFilter(None), F.reply_to_message)
async def reply_to_ticket_message(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    """A reply to any of the bot's messages about a ticket goes to that ticket's topic."""
    assert message.reply_to_message is not None
    ticket = await service.find_ticket_by_message(
        session, message.chat.id, message.reply_to_message.message_id
    )
    if ticket is None or ticket.reporter_person_id != identity.person_id:
        raise SkipHandler()
    await relay_from_resident(message, app, session, await load_view(session, ticket))


# ------------------------------------------------------------ closing the loop


@router.callback_query(MyTicket.filter(F.action == "cancel"), StateFilter("*"))
async def ask_cancel(
    query: CallbackQuery, callback_data: MyTicket, identity: Identity, session: AsyncSession
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None:
        return
    await query.answer()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes, cancel it"),
                    callback_data=MyTicket(action="cancel_yes", ticket_id=view.ticket.id).pack(),
                ),
                InlineKeyboardButton(
                    text=_("No, keep it"),
                    callback_data=MyTicket(action="open", ticket_id=view.ticket.id).pack(),
                ),
            ]
        ]
    )
    await _reply(
        query, _("Cancel ticket {ref}?").format(ref=ticket_ref(view.ticket)), reply_markup=keyboard
    )


async def _transition_failed(
    query: CallbackQuery, session: AsyncSession, exc: service.TicketError, ticket: Ticket | None
) -> None:
    await session.rollback()
    if isinstance(exc, service.TicketChanged):
        text = _("The ticket changed just now; please open it again.")
    elif ticket is not None and isinstance(exc, service.InvalidTransition):
        text = _("Not possible any more: the ticket is {status}.").format(
            status=status_label(exc.status).lower()
        )
    else:
        text = _("Not possible.")
    await query.answer(text, show_alert=True)


@router.callback_query(MyTicket.filter(F.action == "cancel_yes"), StateFilter("*"))
async def do_cancel(
    query: CallbackQuery,
    callback_data: MyTicket,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None or identity.person_id is None:
        return
    try:
        await service.cancel(session, app.clock, view.ticket, identity.person_id)
    except service.TicketError as exc:
        await _transition_failed(query, session, exc, view.ticket)
        return
    await session.commit()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await post_in_ticket(
        app, session, view, lambda: "✖️ " + _("The resident cancelled this ticket.")
    )
    await sync_group(app, session, view)
    await _reply(query, _("Ticket {ref} is cancelled.").format(ref=ticket_ref(view.ticket)))


@router.callback_query(MyTicket.filter(F.action == "rate"), StateFilter("*"))
async def ask_rating(
    query: CallbackQuery, callback_data: MyTicket, identity: Identity, session: AsyncSession
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None:
        return
    await query.answer()
    await _reply(
        query,
        _("How happy are you with how {ref} was handled? 1 = not at all, 5 = very.").format(
            ref=ticket_ref(view.ticket)
        ),
        reply_markup=resolved_keyboard(view.ticket),
    )


@router.callback_query(RateTicket.filter(), StateFilter("*"))
async def rate(
    query: CallbackQuery,
    callback_data: RateTicket,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None or identity.person_id is None:
        return
    try:
        await service.confirm(
            session, app.clock, view.ticket, identity.person_id, callback_data.rating
        )
    except service.TicketError as exc:
        await _transition_failed(query, session, exc, view.ticket)
        return
    await session.commit()
    await query.answer(_("Thank you!"))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    rating = callback_data.rating
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("✅ The resident confirmed the fix and rated it {stars} ({rating}/5).").format(
            stars="⭐" * rating, rating=rating
        ),
    )
    await sync_group(app, session, view)
    await state.set_state(TicketTalk.rating_comment)
    await state.set_data({"ticket_id": view.ticket.id})
    await session.commit()  # before asking: the answer may come at once
    await _reply(
        query,
        _(
            "Thanks for confirming {ref}. Would you like to add a comment? "
            "Send it now, or press Skip."
        ).format(ref=ticket_ref(view.ticket)),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("Skip"),
                        callback_data=MyTicket(
                            action="no_comment", ticket_id=view.ticket.id
                        ).pack(),
                    )
                ]
            ]
        ),
    )


@router.callback_query(MyTicket.filter(F.action == "no_comment"), StateFilter("*"))
async def skip_comment(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(_("Thank you! The ticket is closed."))


@router.message(TicketTalk.rating_comment, PLAIN_TEXT)
async def got_comment(
    message: Message, state: FSMContext, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        ticket = await service.get_ticket(session, int(data.get("ticket_id", 0)))
        assert identity.person_id is not None
        await service.add_rating_comment(
            session, app.clock, ticket, identity.person_id, message.text or ""
        )
    except service.TicketError:
        await session.rollback()
        await state.clear()
        await message.answer(_("Sorry, I could not save that comment."))
        return
    await session.commit()
    view = await load_view(session, ticket)
    comment = message.text or ""
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("💬 Resident's comment: {comment}").format(comment=escape(comment)),
    )
    await sync_group(app, session, view)
    await message.answer(_("Thank you! Your comment is saved and the ticket is closed."))


@router.message(TicketTalk.rating_comment)
async def comment_expected(message: Message) -> None:
    await message.answer(_("Please send your comment as text, or press Skip."))


@router.callback_query(MyTicket.filter(F.action == "reopen"), StateFilter("*"))
async def ask_reopen(
    query: CallbackQuery,
    callback_data: MyTicket,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
) -> None:
    view = await _own_ticket(query, session, identity, callback_data.ticket_id)
    if view is None:
        return
    if view.ticket.status != TicketStatus.RESOLVED:
        await query.answer(
            _("Not possible any more: the ticket is {status}.").format(
                status=status_label(view.ticket.status).lower()
            ),
            show_alert=True,
        )
        return
    await query.answer()
    await state.set_state(TicketTalk.reopen_reason)
    await state.set_data({"ticket_id": view.ticket.id})
    await session.commit()  # before asking: the answer may come at once
    await _reply(
        query, _("What is still not right? Your answer goes to the staff with the reopened ticket.")
    )


@router.message(TicketTalk.reopen_reason, PLAIN_TEXT)
async def got_reopen_reason(
    message: Message, state: FSMContext, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    data = await state.get_data()
    await state.clear()
    reason = (message.text or "").strip()
    try:
        ticket = await service.get_ticket(session, int(data.get("ticket_id", 0)))
        community = await session.get(Community, ticket.community_id)
        assert community is not None and identity.person_id is not None
        await service.reopen(session, app.clock, ticket, identity.person_id, reason, community)
    except service.InvalidTicketData:
        await state.set_state(TicketTalk.reopen_reason)
        await state.set_data(data)
        await session.commit()  # before asking: the answer may come at once
        await message.answer(_("Please tell the staff in a few words what is still wrong."))
        return
    except service.TicketError:
        await session.rollback()
        await state.clear()
        await message.answer(_("Sorry, this ticket can no longer be reopened."))
        return
    await session.commit()
    view = await load_view(session, ticket)
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("🔁 The resident reopened this ticket: {reason}\n{who}").format(
            reason=escape(reason), who=mention(view.assignee) if view.assignee else ""
        ),
    )
    await sync_group(app, session, view)
    await message.answer(
        _("Ticket {ref} is reopened; the staff have your message.").format(ref=ticket_ref(ticket))
    )


@router.message(TicketTalk.reopen_reason)
async def reopen_reason_expected(message: Message) -> None:
    await message.answer(_("Please describe in a text message what is still wrong (or /cancel)."))


__all__ = ["FileTicket", "TicketTalk", "router", "subject_label", "urgency_label"]
