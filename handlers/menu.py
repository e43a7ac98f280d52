"""The resident home menu: only features that exist and apply to this person.

Feature modules register entries at import time with :func:`menu_entry`; the
entry's button sends the callback ``menu:<key>``, which the feature's own
router answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from core.identity import Identity


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
