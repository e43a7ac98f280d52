"""Posting a community event (admin group, managers: ``events.post``).

Steps: ``/event`` → the audience (every resident, owners, tenants, some units) →
the buildings or the units → the title → the start (``2026-12-20 14:00``,
community time, in the next 180 days) → the place → the capacity (people in all)
→ the description → a photo or "No photo" (with a photo the description is its
caption: at most 700 characters) → the preview, exactly as residents will get it
→ "📣 Post the event": the event and its announcement to every resident of the
audience are written in one transaction (audited); the notice delivery sends it
and reports here. "✖ Cancel" or /cancel drops the draft at any step.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.events import (
    CAPACITY_MAX,
    LATEST,
    PLACE_MAX,
    EventError,
    audience_count,
    description_limit,
    notice_draft,
    post_event,
)
from core.community.models import Phase
from core.community.notices import TITLE_MAX
from core.community.times import future_moment
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from handlers.community.callbacks import Compose
from handlers.community.event_drafting import (
    WHEN_EXAMPLE,
    EventSteps,
    preview_event,
    read_event_draft,
)
from handlers.community.event_views import EventCb
from handlers.community.sending import put_notice
from handlers.community.steps import (
    ask,
    buildings_step,
    button,
    keyboard,
    start_command,
    words_steps,
)
from handlers.community.units_step import units_step
from handlers.community.views import audience_label
from handlers.kit import admin_router, answer_query, group_command

router = admin_router("community.event_post")

group_command("event", __("Post a community event"), order=56)

start_command(router, "event", "events.post", EventSteps.audience)


async def _to_title(state: FSMContext) -> State:
    return EventSteps.title


buildings_step(router, EventSteps.buildings, "ev_buildings", _to_title)
units_step(router, EventSteps.units, EventSteps.title)

words_steps(
    router,
    {
        EventSteps.title.state: ("title", TITLE_MAX, EventSteps.when),
        EventSteps.place.state: ("place", PLACE_MAX, EventSteps.capacity),
        EventSteps.description.state: ("description", description_limit(False), EventSteps.photo),
    },
    EventSteps.title,
    EventSteps.place,
    EventSteps.description,
)


@router.message(EventSteps.when, F.text)
async def typed_when(
    message: Message, state: FSMContext, community: Community, app: AppContext
) -> None:
    when = future_moment(message.text or "", community.timezone, app.clock.now(), LATEST)
    if when is None:
        await message.answer(
            _("Please send a time in the next 180 days, such as {example}.").format(
                example=WHEN_EXAMPLE
            )
        )
        return
    await state.update_data(starts_at=when.isoformat())
    await ask(message, state, EventSteps.place)


@router.message(EventSteps.capacity, F.text)
async def typed_capacity(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= CAPACITY_MAX:
        await message.answer(
            _("Please send a number from 1 to {limit}.").format(limit=CAPACITY_MAX)
        )
        return
    await state.update_data(capacity=int(text))
    await ask(message, state, EventSteps.description)


@router.callback_query(EventSteps.photo, Compose.filter(F.step == "ev_photo"))
async def no_photo(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    app: AppContext,
) -> None:
    await answer_query(query)
    await state.update_data(photo_file_id=None)
    assert isinstance(query.message, Message)
    await _preview(query.message, state, session, community, app)


@router.message(EventSteps.photo, F.photo)
async def photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    app: AppContext,
) -> None:
    description = (await state.get_data()).get("description", "")
    limit = description_limit(True)
    if len(description) > limit:
        await message.answer(
            _(
                "With a photo the description can be at most {limit} characters (yours has "
                "{length}). Press “No photo”, or start again with /event and a shorter one."
            ).format(limit=limit, length=len(description))
        )
        return
    assert message.photo
    await state.update_data(photo_file_id=message.photo[-1].file_id)
    await _preview(message, state, session, community, app)


async def _preview(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    app: AppContext,
) -> None:
    draft = await read_event_draft(state)
    assert message.bot is not None
    event = preview_event(draft)
    await put_notice(
        message.bot,
        message.chat.id,
        notice_draft(draft),
        community.timezone,
        0,
        Phase.NOTICE,
        event=event,
    )
    count = await audience_count(
        session, community.id, draft, community_today(community, app.clock)
    )
    names = (await state.get_data()).get("building_names", [])
    await state.set_state(EventSteps.preview)
    await message.answer(
        _(
            "👆 This is the event as residents will see it.\n"
            "It goes to {audience}. Residents told now: {count}."
        ).format(audience=escape(audience_label(draft.audience, names)), count=count),
        reply_markup=keyboard([button(_("📣 Post the event"), "ev_post", "now")]),
    )


@router.callback_query(EventCb.filter(F.event_id == 0))
async def preview_button(query: CallbackQuery) -> None:
    await answer_query(query, _("This is the preview: residents press it to sign up."))


@router.callback_query(
    EventSteps.preview, Compose.filter(F.step == "ev_post"), flags={"staff": "events.post"}
)
async def post(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    await answer_query(query)
    assert isinstance(query.message, Message)
    draft = await read_event_draft(state)
    try:
        event, count = await post_event(
            session,
            community_id=community.id,
            author_person_id=identity.person_id,
            draft=draft,
            now=app.clock.now(),
            today=community_today(community, app.clock),
        )
    except EventError as exc:
        await query.message.answer(_refusal(exc.code))
        return
    await state.clear()
    await query.message.answer(
        _(
            "🎉 Event #{id} is posted: {count} residents are being told. "
            "/events shows who signs up."
        ).format(id=event.id, count=count)
    )


def _refusal(code: str) -> str:
    return {
        "no_recipients": _(
            "Nobody in that audience lives in the community now: the event was not posted. "
            "Press ✖ Cancel, or /event to start again."
        ),
        "bad_time": _("The event's time has passed. Start again with /event."),
    }.get(code, _("The event could not be posted. Start again with /event."))


@router.message(
    StateFilter(
        EventSteps.buildings,
        EventSteps.units,
        EventSteps.title,
        EventSteps.when,
        EventSteps.place,
        EventSteps.capacity,
        EventSteps.description,
    )
)
async def reask_text(message: Message) -> None:
    await message.answer(_("Please answer in text, or press ✖ Cancel."))


@router.message(EventSteps.photo)
async def reask_photo(message: Message) -> None:
    await message.answer(_("Please send a photo, or press “No photo”."))


@router.message(StateFilter(EventSteps.audience, EventSteps.preview))
async def reask_button(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))
