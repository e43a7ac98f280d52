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

from aiogram import F
from aiogram.filters import Command, StateFilter
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

menu_entry("events", __("🎉 Events"), residents, order=16)
private_command("events", __("Community events and signing up"), order=16)


@router.callback_query(F.data == "menu:events", StateFilter("*"))
@router.message(Command("events"), StateFilter("*"))
async def list_events(
    event: Message | CallbackQuery, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    if identity.person_id is None or not identity.is_resident:
        await reply(event, _("Community events are for residents of a community."))
        return
    now = app.clock.now()
    found = await upcoming_for(session, identity.person_id, now, now.date())
    if not found:
        await reply(event, _("There are no upcoming events. 🌤"))
        return
    rows = []
    for item in found:
        community = await session.get(Community, item.community_id)
        assert community is not None
        label = f"🎉 {when(item, community.timezone)} {item.title}"[:60]
        rows.append(
            [
                InlineKeyboardButton(
                    text=label, callback_data=EventCb(action="open", event_id=item.id).pack()
                )
            ]
        )
    await reply(
        event,
        _("🎉 Upcoming events — press one to see it and sign up:"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _open_to(
    query: CallbackQuery, event_id: int, identity: Identity, session: AsyncSession, app: AppContext
) -> tuple[Event, Community] | None:
    """The event, when it exists and is open to this resident; otherwise answered."""
    try:
        event = await get_event(session, event_id)
    except EventError:
        await answer_query(query, refusal("not_found"), alert=True)
        return None
    community = await session.get(Community, event.community_id)
    assert community is not None
    today = community_today(community, app.clock)
    if identity.person_id is None or not await invited(session, event, identity.person_id, today):
        await refuse_foreign(
            query,
            session,
            identity,
            "events.sign_up",
            refusal("not_invited"),
            target_type="event",
            target_id=event_id,
        )
        return None
    return event, community


async def _show(
    query: CallbackQuery, event: Event, community: Community, session: AsyncSession, person: int
) -> None:
    seen = await view(session, event, person)
    await reply(
        query,
        event_text(event, community.timezone, seen),
        reply_markup=event_keyboard(event.id, seen),
    )


@router.callback_query(EventCb.filter((F.action == "open") & (F.event_id > 0)))
async def open_event(
    query: CallbackQuery,
    callback_data: EventCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    found = await _open_to(query, callback_data.event_id, identity, session, app)
    if found is not None:
        await _show(query, *found, session, identity.person_id or 0)


@router.callback_query(EventCb.filter((F.action == "join") & (F.event_id > 0)))
async def join(
    query: CallbackQuery,
    callback_data: EventCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    found = await _open_to(query, callback_data.event_id, identity, session, app)
    if found is None:
        return
    event = found[0]
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


@router.callback_query(EventCb.filter((F.action == "seats") & (F.event_id > 0)))
async def chose_seats(
    query: CallbackQuery,
    callback_data: EventCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    found = await _open_to(query, callback_data.event_id, identity, session, app)
    if found is None:
        return
    event, community = found
    try:
        signup = await sign_up(
            session,
            event.id,
            identity.person_id or 0,
            callback_data.value,
            app.clock.now(),
            community_today(community, app.clock),
        )
    except EventError as exc:
        await answer_query(query, refusal(exc.code), alert=True)
        return
    if signup.status == SignupStatus.GOING:
        text = _(
            "✅ You are signed up for “{title}” ({count} people). I will remind you the day before."
        ).format(title=escape(event.title), count=signup.seats)
    else:
        text = _(
            "⏳ “{title}” is full: you are number {position} on the waitlist ({count} "
            "people). If places free up you get them automatically, and I will tell you."
        ).format(
            title=escape(event.title),
            count=signup.seats,
            position=await waitlist_position(session, signup),
        )
    await reply(query, text)


@router.callback_query(EventCb.filter((F.action == "cancel") & (F.event_id > 0)))
async def cancel_signup(
    query: CallbackQuery,
    callback_data: EventCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    found = await _open_to(query, callback_data.event_id, identity, session, app)
    if found is None:
        return
    event = found[0]
    try:
        await cancel(session, event.id, identity.person_id or 0, app.clock.now())
    except EventError as exc:
        await answer_query(query, refusal(exc.code), alert=True)
        return
    await reply(
        query, _("Your sign-up for “{title}” is cancelled.").format(title=escape(event.title))
    )
