"""The staff's event draft, kept in the conversation until it is posted: its
states, the questions of its steps, and reading it back from FSM data."""

from __future__ import annotations

from datetime import datetime

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.utils.i18n import gettext as _

from core.community.event_models import Event
from core.community.events import CAPACITY_MAX, PLACE_MAX, EventDraft, description_limit
from core.community.models import Audience
from core.community.notices import TITLE_MAX
from handlers.community.steps import (
    Asked,
    audience_question,
    audience_then,
    buildings_question,
    button,
    choice,
    keyboard,
    prompts,
    units_question,
)

WHEN_EXAMPLE = "2026-12-20 14:00"


class EventSteps(StatesGroup):
    audience = State()
    buildings = State()
    units = State()
    title = State()
    when = State()
    place = State()
    capacity = State()
    description = State()
    photo = State()
    preview = State()


AFTER_AUDIENCE = audience_then("ev_audience", EventSteps.units, EventSteps.buildings)
choice("ev_audience", EventSteps.audience, {a.value for a in Audience}, AFTER_AUDIENCE)


def _asked(step: str) -> Asked:
    """The question of each step of the event flow."""
    if step == EventSteps.audience.state:
        return audience_question(_("🎉 A new community event. Who is it for?"), "ev_audience")
    if step == EventSteps.buildings.state:
        return buildings_question("ev_buildings")
    if step == EventSteps.units.state:
        return units_question()
    if step == EventSteps.title.state:
        return _("The event's title (at most {limit} characters):").format(limit=TITLE_MAX), None
    if step == EventSteps.when.state:
        text = _("When does it start? Send the time in the community's time, e.g. {example}")
        return text.format(example=WHEN_EXAMPLE), None
    if step == EventSteps.place.state:
        return _("Where is it (at most {limit} characters)?").format(limit=PLACE_MAX), None
    if step == EventSteps.capacity.state:
        text = _("How many people can come in all? Send a number from 1 to {limit}.")
        return text.format(limit=CAPACITY_MAX), None
    if step == EventSteps.description.state:
        text = _("Now describe the event (at most {limit} characters):")
        return text.format(limit=description_limit(False)), keyboard()
    return _("Add a photo of the event, or press “No photo”."), keyboard(
        [button(_("No photo ➡️"), "ev_photo", "none")]
    )


prompts(
    _asked,
    EventSteps.audience,
    EventSteps.buildings,
    EventSteps.units,
    EventSteps.title,
    EventSteps.when,
    EventSteps.place,
    EventSteps.capacity,
    EventSteps.description,
    EventSteps.photo,
)


async def read_event_draft(state: FSMContext) -> EventDraft:
    data = await state.get_data()
    return EventDraft(
        title=data["title"],
        description=data["description"],
        place=data["place"],
        starts_at=datetime.fromisoformat(data["starts_at"]),
        capacity=int(data["capacity"]),
        audience=Audience(data["ev_audience"]),
        building_ids=list(data.get("building_ids", [])),
        unit_ids=list(data.get("unit_ids", [])),
        photo_file_id=data.get("photo_file_id"),
    )


def preview_event(draft: EventDraft) -> Event:
    """The event as residents will see it, not saved (its buttons answer "preview")."""
    return Event(
        id=0,
        title=draft.title,
        description=draft.description,
        place=draft.place,
        starts_at=draft.starts_at,
        capacity=draft.capacity,
        photo_file_id=draft.photo_file_id,
    )
