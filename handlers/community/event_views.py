"""What an event looks like to a resident (the announcement, the card from the
events menu; the preview staff see is the same) and its buttons. Built in the
reader's current locale."""

from __future__ import annotations

from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.community.event_models import Event, SignupStatus
from core.community.events import SEATS_MAX, EventView
from core.formatting import fmt_short_datetime


class EventCb(CallbackData, prefix="ev"):
    """A resident's buttons on an event: open it, sign up, how many, cancel."""

    action: str  # open | join | seats | cancel
    event_id: int
    value: int = 0


class EventStaffCb(CallbackData, prefix="es"):
    """Staff: an event's attendee list (a page of it), messaging its attendees."""

    action: str  # list | message
    event_id: int
    page: int = 0


def when(event: Event, tz: str) -> str:
    return fmt_short_datetime(event.starts_at, tz, get_i18n().current_locale)


def event_text(event: Event, tz: str, seen: EventView | None = None) -> str:
    """The event (HTML): title, time, place, places, the description; with ``seen``,
    the places taken and the reader's own sign-up."""
    lines = [
        _("🎉 <b>Event: {title}</b>").format(title=escape(event.title)),
        _("🕒 {time}").format(time=when(event, tz)),
        _("📍 {place}").format(place=escape(event.place)),
    ]
    if seen is None:
        lines.append(_("👥 Places: {capacity}").format(capacity=event.capacity))
    else:
        line = _("👥 Places taken: {taken} of {capacity}").format(
            taken=seen.taken, capacity=event.capacity
        )
        if seen.waiting:
            line += _(" · waitlist: {count}").format(count=seen.waiting)
        lines.append(line)
    lines += ["", escape(event.description)]
    mine = seen.mine if seen else None
    if mine is not None and mine.status == SignupStatus.GOING:
        lines += ["", _("✅ You are signed up for {count} people.").format(count=mine.seats)]
    elif mine is not None:
        lines += ["", _("⏳ You are on the waitlist for {count} people.").format(count=mine.seats)]
    return "\n".join(lines)


def _button(text: str, action: str, event_id: int, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=EventCb(action=action, event_id=event_id, value=value).pack()
    )


def event_keyboard(event_id: int, seen: EventView | None = None) -> InlineKeyboardMarkup:
    """ "Sign up", or "Cancel my sign-up" for someone signed up."""
    if seen is not None and seen.mine is not None:
        return InlineKeyboardMarkup(
            inline_keyboard=[[_button(_("❌ Cancel my sign-up"), "cancel", event_id)]]
        )
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("✍️ Sign up"), "join", event_id)]])


def seats_keyboard(event: Event) -> InlineKeyboardMarkup:
    most = min(SEATS_MAX, event.capacity)
    buttons = [_button(str(n), "seats", event.id, n) for n in range(1, most + 1)]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 5] for i in range(0, most, 5)])


def refusal(code: str) -> str:
    return {
        "closed": _("This event has already started: sign-up is closed."),
        "not_found": _("This event no longer exists."),
        "already": _("You are already signed up for this event."),
        "not_signed_up": _("You are not signed up for this event."),
        "bad_seats": _("That number of people cannot be signed up for this event."),
        "not_invited": _("This event is not open to you."),
    }.get(code, _("That did not work. Please try again."))
