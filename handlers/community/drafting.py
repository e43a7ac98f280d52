"""The staff's notice draft, kept in the conversation until it is sent: its states,
reading it back from FSM data, and the keyboards the steps share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from core.community.models import Audience, NoticeKind
from core.community.notices import BODY_MAX, TITLE_MAX, NoticeDraft
from handlers.community.callbacks import Compose
from handlers.community.views import KIND_ICONS, kind_label

WINDOW_EXAMPLE = "2026-12-04 09:00 - 17:00"


class NoticeSteps(StatesGroup):
    kind = State()
    audience = State()
    buildings = State()
    window = State()
    title = State()
    body = State()
    attachment = State()
    preview = State()
    send_at = State()


def button(text: str, step: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Compose(step=step, value=value).pack())


def cancel_row() -> list[InlineKeyboardButton]:
    return [button(_("✖ Cancel"), "cancel", "-")]


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


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
        attachment_kind=data.get("attachment_kind"),
        attachment_file_id=data.get("attachment_file_id"),
        starts_at=_when(data.get("starts_at")),
        ends_at=_when(data.get("ends_at")),
    )


def _prompt(step: State) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the bot asks at ``step`` (in the group's language)."""
    if step == NoticeSteps.kind:
        kinds = [button(f"{KIND_ICONS[k]} {kind_label(k)}", "kind", k.value) for k in NoticeKind]
        return _("📢 A new notice to residents. What kind is it?"), keyboard(kinds)
    if step == NoticeSteps.audience:
        return _("Who should receive it?"), keyboard(
            [button(_("Every resident"), "audience", Audience.ALL.value)],
            [
                button(_("Owners only"), "audience", Audience.OWNERS.value),
                button(_("Tenants only"), "audience", Audience.TENANTS.value),
            ],
        )
    if step == NoticeSteps.buildings:
        return _(
            "Which buildings? Send their names separated by commas (e.g. 1栋, 3栋), "
            "or press “Whole community”."
        ), keyboard([button(_("🏘 Whole community"), "buildings", "all")])
    if step == NoticeSteps.window:
        return _(
            "When is the outage? Send the start and end in the community's time, e.g. {example}"
        ).format(example=WINDOW_EXAMPLE), None
    if step == NoticeSteps.title:
        return _("The title (at most {limit} characters):").format(limit=TITLE_MAX), None
    if step == NoticeSteps.body:
        return _("Now the text of the notice (at most {limit} characters):").format(
            limit=BODY_MAX
        ), None
    assert step == NoticeSteps.attachment
    return _("Add a photo or a PDF to the notice, or press “No attachment”."), keyboard(
        [button(_("No attachment ➡️"), "attach", "none")]
    )


async def ask(message: Message, state: FSMContext, step: State) -> None:
    """Move the conversation to ``step`` and ask its question."""
    await state.set_state(step)
    text, markup = _prompt(step)
    await message.answer(text, reply_markup=markup)
