"""Report a problem, phase 3: what happened.

Steps: a description (text, within the service's limits) → up to
``service.MAX_PHOTOS`` photos or one video, as an album or one by one, kept
beside the conversation (album items arrive together; one answer per album) →
"Done" or "Skip" → for repairs and hazards the urgency (an emergency shows the
duty phone at once) → on to the check-and-submit step (:mod:`.report_submit`).
"""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import service
from core.tickets.models import PLACED_KINDS, TicketKind, Urgency
from handlers.kit import button_enum, private_router, read_text, reply
from handlers.tickets.callbacks import Filing
from handlers.tickets.report_shared import (
    FileTicket,
    ask_choice,
    button,
    chosen,
    expected_a_button,
)
from handlers.tickets.report_submit import ask_confirm, duty_phone_text
from handlers.tickets.resident_shared import PLAIN_TEXT, in_chat

router = private_router("tickets.report_details")


async def ask_description(event: Message | CallbackQuery) -> None:
    await reply(
        event,
        _(
            "Describe the problem in a message: what happened, since when, "
            "anything staff should know."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


def _media_keyboard(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(label, "media", "done")]])


async def ask_media(event: Message | CallbackQuery) -> None:
    await reply(
        event,
        _(
            "Add up to {photos} photos or 1 video — as an album or one by one. "
            "Press Done when finished, or Skip."
        ).format(photos=service.MAX_PHOTOS),
        reply_markup=_media_keyboard(_("Skip ➡️")),
    )


async def ask_urgency(event: Message | CallbackQuery) -> None:
    buttons = [
        button(_("Normal"), "urgency", Urgency.NORMAL.value),
        button(_("🟠 Urgent"), "urgency", Urgency.URGENT.value),
        button(_("🔴 Emergency"), "urgency", Urgency.EMERGENCY.value),
    ]
    question = _(
        "How urgent is it?\n"
        "🟠 Urgent: it stops normal life at home (no water, a door that won't lock).\n"
        "🔴 Emergency: danger now — gas smell, flooding, power cut, "
        "someone trapped in an elevator."
    )
    await ask_choice(event, question, buttons, width=1)


@router.message(FileTicket.description, PLAIN_TEXT)
async def got_description(message: Message, state: FSMContext) -> None:
    text = await read_text(
        message, max_len=service.MAX_DESCRIPTION, min_len=service.MIN_DESCRIPTION
    )
    if text is None:
        return
    await state.update_data(description=text)
    await state.set_state(FileTicket.media)
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
    data = await state.get_data()
    if TicketKind(data["kind"]) in PLACED_KINDS:
        await state.set_state(FileTicket.urgency)
        await ask_urgency(query)
    else:
        await state.update_data(urgency=Urgency.NORMAL.value)
        await state.set_state(FileTicket.confirm)
        await ask_confirm(query, await state.get_data(), identity, session)


@router.callback_query(FileTicket.urgency, chosen("urgency", Urgency))
async def chose_urgency(
    query: CallbackQuery,
    callback_data: Filing,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    urgency = button_enum(Urgency, callback_data.value)
    await state.update_data(urgency=urgency.value)
    data = await state.get_data()
    await state.set_state(FileTicket.confirm)
    if urgency == Urgency.EMERGENCY:
        # The phone number first: in an emergency, a call beats any chat.
        await reply(query, await duty_phone_text(app, session, int(data["community_id"])))
        await ask_confirm(in_chat(query), data, identity, session)
        return
    await ask_confirm(query, data, identity, session)


@router.message(FileTicket.description)
async def expected_a_description(message: Message) -> None:
    await message.answer(_("Please describe the problem in a text message (or send /cancel)."))


@router.message(FileTicket.media)
async def expected_media(message: Message) -> None:
    await message.answer(
        _("Please send photos or one video, or press Done."),
        reply_markup=_media_keyboard(_("Done ➡️")),
    )


router.message.register(expected_a_button, FileTicket.urgency)
