"""The resident home menu: only features that exist and apply to this person.

Feature modules register entries at import time with :func:`menu_entry`; the
entry's button sends the callback ``menu:<key>``, which the feature's own
router answers. :func:`send_home` shows the greeting with the menu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from core.identity import Identity
from handlers.kit.replies import answer_query


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: LazyProxy | str
    visible: Callable[[Identity], bool]
    order: int


MENU: dict[str, MenuEntry] = {}


def menu_entry(
    key: str,
    label: LazyProxy | str,
    visible: Callable[[Identity], bool],
    order: int = 50,
) -> None:
    MENU[key] = MenuEntry(key, label, visible, order)
    _KEYBOARDS.clear()


def residents(identity: Identity) -> bool:
    return identity.is_resident


def everyone(identity: Identity) -> bool:
    return True


# (locale, entries shown) -> the keyboard: a handful of combinations, each built
# once (a keyboard is a tree of validated models; the home menu is on most answers).
# Callers must not change the keyboard they get.
_KEYBOARDS: dict[tuple[str, tuple[str, ...]], InlineKeyboardMarkup] = {}


def menu_keyboard(identity: Identity) -> InlineKeyboardMarkup:
    entries = sorted(
        (e for e in MENU.values() if e.visible(identity)), key=lambda e: (e.order, e.key)
    )
    key = (get_i18n().current_locale, tuple(e.key for e in entries))
    keyboard = _KEYBOARDS.get(key)
    if keyboard is None:
        if len(_KEYBOARDS) > 256:
            _KEYBOARDS.clear()
        keyboard = _KEYBOARDS[key] = _build(entries)
    return keyboard


def _build(entries: list[MenuEntry]) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for entry in entries:
        row.append(InlineKeyboardButton(text=str(entry.label), callback_data=f"menu:{entry.key}"))
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def home_text(identity: Identity) -> str:
    if identity.is_resident:
        units = ", ".join(u.unit_label for u in identity.units)
        return _("Welcome home, {name}. Your units: {units}.\nWhat can I do for you?").format(
            name=identity.full_name or _("neighbour"), units=units
        )
    if identity.pending_units:
        return _(
            "Welcome to Courtyard. Your application is with the property office; "
            "I will tell you as soon as they decide."
        )
    return _(
        "Welcome to Courtyard, the service desk of your residential community.\n"
        "To join your home, open the invitation link from your property office, "
        "or apply to move in below."
    )


async def send_home(event: Message | CallbackQuery, identity: Identity) -> None:
    """The greeting and the home menu, as a new message in the person's chat
    (a pressed button is answered first)."""
    if isinstance(event, CallbackQuery):
        await answer_query(event)
        if not isinstance(event.message, Message):
            return
        event = event.message
    await event.answer(home_text(identity), reply_markup=menu_keyboard(identity))
