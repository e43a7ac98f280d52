"""Report a problem, phase 2: where it is.

Steps: one of the resident's homes, or — for repairs and hazards — a common area
of their community (a button per community when they live in several) → for a
common area: a few words and/or a location pin, in either order ("Continue"
when one is enough; words typed after the place's words describe the problem:
the place stays, and the resident is told) → on to the description
(:mod:`.report_details`). A photo on the way is kept for the report. Choosing the
community checks the daily limit there.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import parties, service
from core.tickets.models import PLACED_KINDS, TicketKind
from handlers.kit import answer_query, private_router, read_text, reply
from handlers.tickets.callbacks import Filing
from handlers.tickets.report_details import ask_description, got_description
from handlers.tickets.report_shared import (
    FileTicket,
    ask_choice,
    button,
    expected_a_button,
    limit_refusal,
)
from handlers.tickets.resident_shared import PLAIN_TEXT

router = private_router("tickets.report_place")


async def ask_place(
    event: Message | CallbackQuery,
    identity: Identity,
    session: AsyncSession,
    *,
    common_area: bool,
) -> None:
    buttons = [button(f"🏠 {u.unit_label}", "place", f"u{u.unit_id}") for u in identity.units]
    if common_area:
        communities = sorted({u.community_id for u in identity.units})
        names = await parties.community_names(session, communities)
        for community_id in communities:
            label = _("🌳 Common area")
            if len(communities) > 1:
                label += f" — {names.get(community_id, '')}"
            buttons.append(button(label, "place", f"c{community_id}"))
        text = _("Where is it? Your home, or a common area?")
    else:
        text = _("Which home is this about?")
    await ask_choice(event, text, buttons, width=1)


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📍 Share my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def ask_common_area(event: Message | CallbackQuery) -> None:
    await reply(
        event,
        _(
            "Which common area? Describe the place in a few words "
            "(e.g. “Building 5, north fire lane”), or share a location pin."
        ),
        reply_markup=_location_keyboard(),
    )


async def ask_common_more(message: Message, data: dict[str, Any]) -> None:
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[button(_("Continue ➡️"), "more", "go")]])
    if data.get("lat") is None:
        await reply(
            message,
            _("Thanks. You can also share a location pin (📍 button below), or press Continue."),
            reply_markup=_location_keyboard(),
        )
        await reply(message, _("No pin needed?"), reply_markup=keyboard)
    else:
        await reply(
            message,
            _("Got the pin. Add a few words about the place too, or press Continue."),
            reply_markup=keyboard,
        )


async def chose_unit(
    event: CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
    unit_id: int,
) -> None:
    """The report is about one of the resident's homes (chosen, or the only one)."""
    unit = identity.unit(unit_id)
    if unit is None or identity.person_id is None:
        await ask_place(event, identity, session, common_area=True)
        return
    refusal = await limit_refusal(session, app, unit.community_id, identity.person_id)
    if refusal:
        await state.clear()
        await reply(event, refusal)
        return
    await state.update_data(unit_id=unit.unit_id, community_id=unit.community_id)
    await state.set_state(FileTicket.description)
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
    value = callback_data.value
    target = int(value[1:]) if value[:1] in ("u", "c") and value[1:].isdigit() else None
    if target is not None and value.startswith("u"):
        await chose_unit(query, state, identity, session, app, target)
        return
    data = await state.get_data()
    if (
        target not in {u.community_id for u in identity.units}
        or TicketKind(data["kind"]) not in PLACED_KINDS
    ):
        await answer_query(query)  # a button of an older question
        return
    assert identity.person_id is not None
    refusal = await limit_refusal(session, app, target, identity.person_id)
    if refusal:
        await state.clear()
        await reply(query, refusal)
        return
    await state.update_data(unit_id=None, community_id=target)
    await state.set_state(FileTicket.common_area)
    await ask_common_area(query)


@router.message(FileTicket.common_area, F.location)
@router.message(FileTicket.common_more, F.location)
async def common_area_pin(message: Message, state: FSMContext) -> None:
    assert message.location is not None
    await state.update_data(lat=message.location.latitude, lon=message.location.longitude)
    data = await state.get_data()
    await message.answer(_("Got the pin."), reply_markup=ReplyKeyboardRemove())
    if data.get("location_text"):
        await state.set_state(FileTicket.description)
        await ask_description(message)
        return
    await state.set_state(FileTicket.common_more)
    await ask_common_more(message, data)


@router.message(FileTicket.common_more, PLAIN_TEXT)
async def common_more_text(message: Message, state: FSMContext) -> None:
    """Words after the place's words, at "share a pin or press Continue": that is the
    problem being described, not a new place — the place stays, and is said."""
    data = await state.get_data()
    if not data.get("location_text"):
        await common_area_text(message, state)  # the pin came first: these are the words
        return
    await message.answer(
        _(
            "The place stays “{place}”. I took your message as the description of the problem."
        ).format(place=data["location_text"]),
        reply_markup=ReplyKeyboardRemove(),
    )
    await state.set_state(FileTicket.description)
    await got_description(message, state)


@router.message(FileTicket.common_area, PLAIN_TEXT)
async def common_area_text(message: Message, state: FSMContext) -> None:
    text = await read_text(message, max_len=service.MAX_LOCATION_TEXT)
    if text is None:
        return
    await state.update_data(location_text=text)
    data = await state.get_data()
    if data.get("lat") is not None:
        await state.set_state(FileTicket.description)
        await ask_description(message)
        return
    await state.set_state(FileTicket.common_more)
    await ask_common_more(message, data)


@router.callback_query(FileTicket.common_more, Filing.filter(F.step == "more"))
async def common_area_done(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(FileTicket.description)
    await ask_description(query)


router.message.register(expected_a_button, FileTicket.place)


@router.message(FileTicket.common_area, F.photo | F.video)
@router.message(FileTicket.common_more, F.photo | F.video)
async def photo_of_the_place(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext
) -> None:
    """A photo before the description is kept for the report (the photo step counts
    it), and the place question is asked again."""
    data = await state.get_data()
    media = message.photo[-1] if message.photo else message.video
    assert media is not None
    result = await service.add_draft_media(
        session,
        app.clock,
        data["draft"],
        kind="photo" if message.photo else "video",
        file_id=media.file_id,
        file_unique_id=media.file_unique_id,
        media_group_id=message.media_group_id,
    )
    if result.duplicate or not result.first_of_group:
        return  # one answer per album
    if (await state.get_state()) == FileTicket.common_more.state:
        text = _(
            "📷 Kept for your report. Now share a location pin, or press Continue "
            "to describe the problem."
        )
    else:
        text = _(
            "📷 Kept for your report. Now, where is it? Describe the place in a few "
            "words or share a location pin."
        )
    if not result.accepted:
        text = _("That one could not be added (photos or one video, at most {limit}).").format(
            limit=service.MAX_PHOTOS
        )
    await message.answer(text)


@router.message(FileTicket.common_area)
@router.message(FileTicket.common_more)
async def expected_a_place(message: Message) -> None:
    await message.answer(
        _("Please describe the place in words or share a location pin (or send /cancel).")
    )
