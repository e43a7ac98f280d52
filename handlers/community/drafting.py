"""The staff's notice draft, kept in the conversation until it is sent: its states,
the questions of its steps, and reading it back from FSM data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.utils.i18n import gettext as _

from core.community.models import COMPOSED_KINDS, Audience, NoticeKind
from core.community.notices import BODY_MAX, TITLE_MAX, NoticeDraft
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
from handlers.community.views import KIND_ICONS, kind_label

WINDOW_EXAMPLE = "2026-12-04 09:00 - 17:00"


class NoticeSteps(StatesGroup):
    kind = State()
    audience = State()
    buildings = State()
    units = State()
    window = State()
    title = State()
    body = State()
    alt = State()  # the same words in the other language, or "only in …"
    attachment = State()
    preview = State()
    send_at = State()


choice("kind", NoticeSteps.kind, {k.value for k in COMPOSED_KINDS}, NoticeSteps.audience)
choice(
    "audience",
    NoticeSteps.audience,
    {a.value for a in Audience},
    audience_then("audience", NoticeSteps.units, NoticeSteps.buildings),
)


def _asked(step: str) -> Asked:
    """The question of each step of the notice flow."""
    if step == NoticeSteps.kind.state:
        kinds = [
            button(f"{KIND_ICONS[k]} {kind_label(k)}", "kind", k.value) for k in COMPOSED_KINDS
        ]
        return _("📢 A new notice to residents. What kind is it?"), keyboard(kinds)
    if step == NoticeSteps.audience.state:
        return audience_question(_("Who should receive it?"), "audience")
    if step == NoticeSteps.buildings.state:
        return buildings_question("buildings")
    if step == NoticeSteps.units.state:
        return units_question()
    if step == NoticeSteps.window.state:
        text = _(
            "When is the outage? Send the start and end in the community's time, e.g. {example}"
        )
        return text.format(example=WINDOW_EXAMPLE), None
    if step == NoticeSteps.title.state:
        return _("The title (at most {limit} characters):").format(limit=TITLE_MAX), None
    if step == NoticeSteps.body.state:
        text = _("Now the text of the notice (at most {limit} characters):")
        return text.format(limit=BODY_MAX), None
    if step == NoticeSteps.alt.state:
        text = _(
            "To send it in the other language too (Chinese or English), send the title on "
            "the first line and the text below it. Residents get the language they use; "
            "everyone else gets it as you first wrote it."
        )
        return text, keyboard([button(_("One language only ➡️"), "alt", "none")])
    return _("Add a photo or a PDF to the notice, or press “No attachment”."), keyboard(
        [button(_("No attachment ➡️"), "attach", "none")]
    )


prompts(
    _asked,
    NoticeSteps.kind,
    NoticeSteps.audience,
    NoticeSteps.buildings,
    NoticeSteps.units,
    NoticeSteps.window,
    NoticeSteps.title,
    NoticeSteps.body,
    NoticeSteps.alt,
    NoticeSteps.attachment,
)


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def read_draft(state: FSMContext) -> NoticeDraft:
    data = await state.get_data()
    return NoticeDraft(
        kind=NoticeKind(data["kind"]),
        audience=Audience(data["audience"]),
        title=data.get("title", ""),
        body=data.get("body", ""),
        building_ids=list(data.get("building_ids", [])),
        unit_ids=list(data.get("unit_ids", [])),
        alt_locale=data.get("alt_locale"),
        alt_title=data.get("alt_title"),
        alt_body=data.get("alt_body"),
        attachment_kind=data.get("attachment_kind"),
        attachment_file_id=data.get("attachment_file_id"),
        starts_at=_when(data.get("starts_at")),
        ends_at=_when(data.get("ends_at")),
    )
