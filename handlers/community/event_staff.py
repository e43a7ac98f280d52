"""Community events, the staff's side (admin group).

Steps: ``/events`` (any staff: ``events.view``) → the latest events, one button
each with the places taken → an event's attendees, a page of 20 at a time (the
people with a place, then the waitlist in order; ◀ ▶ turn pages) → "✉️ Message
the attendees" (managers: ``events.post``) → the text (at most 3500 characters)
→ it goes to everyone with a place through the notice delivery, which reports
here who got it and lists whom it could not reach. A button of another
community's event is refused and audited.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.event_lists import attendees, community_events, message_attendees
from core.community.event_models import Event
from core.community.events import EventError, find_event, view
from core.community.notices import BODY_MAX
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from handlers.community.event_views import EventStaffCb, when
from handlers.community.steps import keyboard
from handlers.kit import (
    admin_router,
    answer_query,
    edit,
    group_command,
    paged_keyboard,
    read_text,
    refuse_foreign,
)

router = admin_router("community.event_staff")

group_command("events", __("Community events and who signed up"), order=57)

PER_PAGE = 20


class EventMessage(StatesGroup):
    text = State()


@router.message(Command("events"), flags={"staff": "events.view"})
async def list_events(message: Message, session: AsyncSession, community: Community) -> None:
    rows = []
    for event in await community_events(session, community.id):
        taken = (await view(session, event)).taken
        label = f"{when(event, community.timezone)} {event.title} · {taken}/{event.capacity}"
        data = EventStaffCb(action="list", event_id=event.id).pack()
        rows.append([InlineKeyboardButton(text=label[:60], callback_data=data)])
    text = _("🎉 Events — press one for its attendees:") if rows else _("No events yet.")
    await message.answer(
        text + ("" if rows else " " + _("/event posts one.")),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
    )


class OurEvent(Filter):
    """A press on an event of this admin group's community; injects the ``event``."""

    async def __call__(
        self,
        query: CallbackQuery,
        callback_data: EventStaffCb,
        session: AsyncSession,
        community: Community,
    ) -> bool | dict[str, Any]:
        event = await find_event(session, callback_data.event_id)
        ours = event is not None and event.community_id == community.id
        return {"event": event} if ours else False


@router.callback_query(
    EventStaffCb.filter(F.action == "list"), OurEvent(), flags={"staff": "events.view"}
)
async def attendee_page(
    query: CallbackQuery,
    callback_data: EventStaffCb,
    event: Event,
    session: AsyncSession,
    community: Community,
) -> None:
    await answer_query(query)
    page = max(0, callback_data.page)
    rows, total = await attendees(session, event.id, page, PER_PAGE)
    seen = await view(session, event)
    lines = [
        _("👥 Event #{id} “{title}”, {time}").format(
            id=event.id, title=escape(event.title), time=when(event, community.timezone)
        ),
        _("Places taken: {taken} of {capacity} · waitlist: {count}").format(
            taken=seen.taken, capacity=event.capacity, count=seen.waiting
        ),
        "",
    ]
    if not rows:
        lines.append(_("Nobody has signed up yet."))
    for number, row in enumerate(rows, start=page * PER_PAGE + 1):
        name = escape(row.name or _("(erased)"))
        line = _("{number}. {name} — {count} people").format(
            number=number, name=name, count=row.seats
        )
        lines.append(line + (_(" (waitlist)") if row.waitlisted else ""))
    markup = paged_keyboard(
        [],
        page=page,
        per_page=PER_PAGE,
        total=total,
        page_callback=lambda p: EventStaffCb(action="list", event_id=event.id, page=p).pack(),
        extra_rows=[
            [
                InlineKeyboardButton(
                    text=_("✉️ Message the attendees"),
                    callback_data=EventStaffCb(action="message", event_id=event.id).pack(),
                )
            ]
        ],
    )
    text = "\n".join(lines)
    if callback_data.page > 0 or _is_list(query):
        await edit(query, text, reply_markup=markup)
    else:
        assert isinstance(query.message, Message)
        await query.message.answer(text, reply_markup=markup)


def _is_list(query: CallbackQuery) -> bool:
    """The press came from an attendee list itself (turning back to page 1)."""
    message = query.message
    return isinstance(message, Message) and (message.text or "").startswith("👥")


@router.callback_query(
    EventStaffCb.filter(F.action == "message"), OurEvent(), flags={"staff": "events.post"}
)
async def ask_message(query: CallbackQuery, event: Event, state: FSMContext) -> None:
    await answer_query(query)
    await state.set_state(EventMessage.text)
    await state.set_data({"event_id": event.id})
    assert isinstance(query.message, Message)
    await query.message.answer(
        _(
            "Send the message for everyone with a place at “{title}” (at most {limit} "
            "characters), or press ✖ Cancel."
        ).format(title=escape(event.title), limit=BODY_MAX),
        reply_markup=keyboard(),
    )


@router.message(EventMessage.text, F.text, flags={"staff": "events.post"})
async def typed_message(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    text = await read_text(message, max_len=BODY_MAX)
    if text is None:
        return
    event = await find_event(session, int((await state.get_data()).get("event_id", 0)))
    if event is None:
        await state.clear()
        await message.answer(_("This event no longer exists."))
        return
    try:
        notice_id, count = await message_attendees(
            session,
            event=event,
            text=text,
            author_person_id=identity.person_id,
            now=app.clock.now(),
            today=community_today(community, app.clock),
        )
    except EventError:
        await state.clear()
        await message.answer(_("Nobody has a place at this event yet: nothing was sent."))
        return
    await state.clear()
    await message.answer(
        _("✉️ Message #{id} goes to {count} attendees. I will report here who got it.").format(
            id=notice_id, count=count
        )
    )


@router.message(EventMessage.text)
async def reask_message(message: Message) -> None:
    await message.answer(_("Please send the message as text, or press ✖ Cancel."))


@router.callback_query(EventStaffCb.filter(), flags={"staff": "events.view"})
async def not_ours(
    query: CallbackQuery,
    callback_data: EventStaffCb,
    session: AsyncSession,
    community: Community,
    identity: Identity,
) -> None:
    """A press on another community's event, or one that is gone (audited)."""
    await refuse_foreign(
        query,
        session,
        identity,
        "events.view",
        _("There is no such event in this community."),
        target_type="event",
        target_id=callback_data.event_id,
        community_id=community.id,
    )
