"""Community events on the resident's side (private chat).

Steps: "🎉 Events" in the home menu (or /events) → the upcoming events open to
the resident, one button each (the announcement's "✍️ Sign up" leads to the same
place) → the event card: time, place, places taken, their own sign-up →
"✍️ Sign up" → how many people (buttons) → a place, or a waitlist place when the
event is full (they get places automatically when others cancel, and are told) →
"❌ Cancel my sign-up" cancels. After the start, both answer "closed"; a button
of an event not open to the resident is refused and audited.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F
from aiogram.filters import Command, Filter, StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.event_models import Event, SignupStatus
from core.community.events import (
    EventError,
    cancel,
    get_event,
    invited,
    sign_up,
    upcoming_for,
    view,
    waitlist_position,
)
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from handlers.community.event_views import (
    EventCb,
    event_keyboard,
    event_text,
    refusal,
    seats_keyboard,
    when,
)
from handlers.kit import (
    answer_query,
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    reply,
    residents,
)

router = private_router("community.event_resident")


@router.message(Command("events"), StateFilter("*"))
@router.callback_query(F.data == "menu:events", StateFilter("*"))
async def list_events(
    event: Message | CallbackQuery, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    person_id = identity.person_id if identity.is_resident else None
    found = None
    if person_id is not None:
        # "Lives there today" on the home's own calendar, not UTC's.
        home = await session.get(Community, identity.units[0].community_id)
        assert home is not None
        found = await upcoming_for(
            session, person_id, app.clock.now(), community_today(home, app.clock)
        )
    if found is None:
        text = _("Community events are for residents of a community.")
    elif found:
        text = _("🎉 Upcoming events — press one to see it and sign up:")
    else:
        text = _("There are no upcoming events. 🌤")
    rows = []
    for item in found or []:
        community = await session.get(Community, item.community_id)
        assert community is not None
        label = f"🎉 {when(item, community.timezone)} {item.title}"[:60]
        data = EventCb(action="open", event_id=item.id).pack()
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    await reply(
        event, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    )


menu_entry("events", __("🎉 Events"), residents, order=16)
private_command("events", __("Community events and signing up"), order=16)


class OpenEvent(Filter):
    """A press on an event open to the presser (they live in its audience); injects
    the ``event``, its ``event_community`` and the presser's ``person_id``."""

    async def __call__(
        self,
        query: CallbackQuery,
        callback_data: EventCb,
        session: AsyncSession,
        identity: Identity,
        app: AppContext,
    ) -> bool | dict[str, Any]:
        try:
            event = await get_event(session, callback_data.event_id)
        except EventError:
            return False
        community = await session.get(Community, event.community_id)
        assert community is not None
        today = community_today(community, app.clock)
        person_id = identity.person_id
        if person_id is None or not await invited(session, event, person_id, today):
            return False
        return {"event": event, "event_community": community, "person_id": person_id}


@router.callback_query(EventCb.filter((F.action == "open") & (F.event_id > 0)), OpenEvent())
async def open_event(
    query: CallbackQuery,
    event: Event,
    event_community: Community,
    person_id: int,
    session: AsyncSession,
) -> None:
    seen = await view(session, event, person_id)
    await reply(
        query,
        event_text(event, event_community.timezone, seen),
        reply_markup=event_keyboard(event.id, seen),
    )


@router.callback_query(EventCb.filter((F.action == "join") & (F.event_id > 0)), OpenEvent())
async def join(query: CallbackQuery, event: Event, app: AppContext) -> None:
    if event.starts_at <= app.clock.now():
        await answer_query(query, refusal("closed"), alert=True)
        return
    await reply(
        query,
        _("How many people are coming to “{title}”, you included?").format(
            title=escape(event.title)
        ),
        reply_markup=seats_keyboard(event),
    )


@router.callback_query(EventCb.filter((F.action == "seats") & (F.event_id > 0)), OpenEvent())
async def chose_seats(
    query: CallbackQuery,
    callback_data: EventCb,
    event: Event,
    event_community: Community,
    person_id: int,
    session: AsyncSession,
    app: AppContext,
) -> None:
    try:
        signup = await sign_up(
            session,
            event.id,
            person_id,
            callback_data.value,
            app.clock.now(),
            community_today(event_community, app.clock),
        )
    except EventError as exc:
        await answer_query(query, refusal(exc.code), alert=True)
        return
    title = escape(event.title)
    if signup.status == SignupStatus.GOING and event.reminded_at is not None:
        text = _("✅ You are signed up for “{title}” ({count} people). See you there!").format(
            title=title, count=signup.seats
        )
    elif signup.status == SignupStatus.GOING:
        text = _(
            "✅ You are signed up for “{title}” ({count} people). I will remind you the day before."
        ).format(title=title, count=signup.seats)
    else:
        position = await waitlist_position(session, signup)
        text = _(
            "⏳ “{title}” is full: you are number {position} on the waitlist ({count} "
            "people). If places free up you get them automatically, and I will tell you."
        ).format(title=title, count=signup.seats, position=position)
    await reply(query, text)


@router.callback_query(EventCb.filter((F.action == "cancel") & (F.event_id > 0)), OpenEvent())
async def cancel_signup(
    query: CallbackQuery, event: Event, person_id: int, session: AsyncSession, app: AppContext
) -> None:
    try:
        await cancel(session, event.id, person_id, app.clock.now())
    except EventError as exc:
        await answer_query(query, refusal(exc.code), alert=True)
        return
    await reply(
        query, _("Your sign-up for “{title}” is cancelled.").format(title=escape(event.title))
    )


@router.callback_query(EventCb.filter(F.event_id > 0))
async def not_open(
    query: CallbackQuery, callback_data: EventCb, session: AsyncSession, identity: Identity
) -> None:
    """A press on an event that is gone, or not open to the presser (audited)."""
    await refuse_foreign(
        query,
        session,
        identity,
        "events.sign_up",
        refusal("not_invited"),
        target_type="event",
        target_id=callback_data.event_id,
    )
