"""The resident home menu: only features that exist and apply to this person.

Feature modules register entries at import time with :func:`menu_entry`; the
entry's button sends the callback ``menu:<key>``, which the feature's own
router answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
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


def residents(identity: Identity) -> bool:
    return identity.is_resident


def everyone(identity: Identity) -> bool:
    return True


def menu_keyboard(identity: Identity) -> InlineKeyboardMarkup:
    entries = sorted(
        (e for e in MENU.values() if e.visible(identity)), key=lambda e: (e.order, e.key)
    )
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
