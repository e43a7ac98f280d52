"""The staff's notice draft, kept in the conversation until it is sent: its states,
reading it back from FSM data, and the keyboards the steps share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from core.community.models import Audience, NoticeKind
from core.community.notices import NoticeDraft
from handlers.community.callbacks import Compose


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
