"""What every face flow shows or keeps: the button data, the conversation states,
the keyboards, and leaving a flow cleanly.

``FaceCb`` carries an action, the person it is about and the community; the flows
(``home``, ``consent``, ``enroll``, ``family``, ``delete``) each handle their own
actions.
"""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.store import discard_enrollment
from access.lookups import person_by_id
from core.identity import Identity


class FaceFlow(StatesGroup):
    consent = State()  # the consent text is on screen
    photos = State()  # waiting for the photos


class FaceCb(CallbackData, prefix="fc"):
    action: str
    person: int = 0
    community: int = 0


def button(text: str, action: str, person: int = 0, community: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=FaceCb(action=action, person=person, community=community).pack(),
    )


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(r) for r in rows])


def photos_keyboard(accepted: int, subject_id: int) -> InlineKeyboardMarkup:
    """Under every photo step: Done once a photo is accepted, and Cancel."""
    rows = []
    if accepted:
        rows.append([button(_("✅ Done"), "done", subject_id)])
    rows.append([button(_("✖️ Cancel"), "cancel", subject_id)])
    return keyboard(*rows)


def locale() -> str:
    """The language this update speaks (recorded with a consent)."""
    return get_i18n().current_locale


def community_ids(identity: Identity) -> list[int]:
    """The communities the person lives in, in the order of their homes."""
    seen: list[int] = []
    for unit in identity.units:
        if unit.community_id not in seen:
            seen.append(unit.community_id)
    return seen


def no_name() -> str:
    return _("(no name)")


async def subject_name(session: AsyncSession, person_id: int) -> str:
    person = await person_by_id(session, person_id)
    return (person.full_name if person else "") or no_name()


async def freeze(message: Message, verdict: str) -> None:
    """Keep the consent text on screen (it is what was agreed to), drop its buttons."""
    try:
        await message.edit_text(message.html_text + "\n\n<b>" + verdict + "</b>")
    except TelegramBadRequest:
        pass


async def drop_buttons(message: Message) -> None:
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass


async def leave_flow(state: FSMContext, session: AsyncSession) -> None:
    """Leave whatever face step was open, discarding its pending templates."""
    if await state.get_state() == FaceFlow.photos.state:
        enrollment = (await state.get_data()).get("enr")
        if enrollment:
            await discard_enrollment(session, enrollment)
    await state.clear()
