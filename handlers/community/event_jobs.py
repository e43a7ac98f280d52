"""The events job (every minute, on the scheduler leader).

Steps: events starting within a day → everyone with a place gets a reminder
(time, place, how many people, how to cancel) → the event is marked reminded;
sign-ups let in from the waitlist → each person is told they now have a place.
Every message is claimed before it is sent (:mod:`core.sends`): a second process
or a re-run never sends one twice, and a run after a crash sends the ones not
claimed yet.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.notify import send_to_person
from core.community.event_lists import (
    due_reminders,
    going_signups,
    mark_reminded,
    promotion_key,
    reminder_key,
    untold_promotions,
)
from core.community.event_models import Event
from core.db import transaction
from core.models import Community, Person
from core.sends import send_once
from handlers.community.event_views import when


async def run_events(ctx: AppContext) -> int:
    """Send the reminders and the waitlist news due; how many were delivered."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        reminders = [
            (e, await going_signups(session, e.id)) for e in await due_reminders(session, now)
        ]
        promotions = await untold_promotions(session, now)
    delivered = 0
    for event, signups in reminders:
        for person_id, seats in signups:
            delivered += await _tell(
                ctx, reminder_key(event.id, person_id), person_id, event, _reminder(seats)
            )
        async with transaction(ctx.session_factory) as session:
            await mark_reminded(session, event.id, now)
    for signup, event in promotions:
        assert signup.person_id is not None
        delivered += await _tell(
            ctx, promotion_key(signup), signup.person_id, event, _promoted(signup.seats)
        )
    return delivered


Words = Callable[[Event, str], str]


def _reminder(seats: int) -> Words:
    def build(event: Event, tz: str) -> str:
        return _(
            "⏰ Tomorrow: “{title}”, {time}, {place}. You signed up for {count} people.\n"
            "Cannot come? Cancel under 🎉 Events, so that someone on the waitlist gets "
            "the places."
        ).format(
            title=escape(event.title),
            time=when(event, tz),
            place=escape(event.place),
            count=seats,
        )

    return build


def _promoted(seats: int) -> Words:
    def build(event: Event, tz: str) -> str:
        return _(
            "🎉 Places freed up: you are now signed up for “{title}” ({count} people), "
            "{time}, {place}."
        ).format(
            title=escape(event.title),
            time=when(event, tz),
            place=escape(event.place),
            count=seats,
        )

    return build


async def _tell(ctx: AppContext, key: str, person_id: int, event: Event, words: Words) -> int:
    async with ctx.session_factory() as session:
        person = await session.get(Person, person_id)
        community = await session.get(Community, event.community_id)
    if person is None or community is None:
        return 0
    sent, result = await send_once(
        ctx.session_factory,
        key,
        ctx.clock.now(),
        lambda: send_to_person(ctx, person, lambda: words(event, community.timezone)),
        delivered=lambda d: bool(d and d.ok),
    )
    return int(sent and result is not None and result.ok)
