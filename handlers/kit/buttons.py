"""Button data that does not parse: one answer, given in one place.

Every button's data is a ``CallbackData`` class (``prefix:field:…``). aiogram's
class filter already refuses data that does not unpack into the class (a handler
never sees it; the fallback answers "no longer active"). What a class carries as a
free string (``PassCb.value``, a step's ``value``) a handler reads with
:func:`button_int` / :func:`button_enum` / :func:`button_ints`: forged or garbled
data raises :class:`StaleButton`, and the error handler
(``handlers/start/errors.py``) answers it with :func:`answer_stale`, the same words
as the fallback, instead of an apology — nothing was changed, nothing is logged as
a failure.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TypeVar

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from handlers.kit.replies import answer_query

E = TypeVar("E", bound=Enum)

_ID = re.compile(r"^[0-9]{1,18}$")


class StaleButton(Exception):
    """A button's data that no current button carries (forged, garbled, too old)."""


def button_int(value: str) -> int:
    """A non-negative integer carried by a button (an id, a count)."""
    if not _ID.match(value):
        raise StaleButton(value)
    return int(value)


def button_ints(value: str, sep: str, count: int) -> list[int]:
    """``count`` integers joined by ``sep`` (``"12.1700000000"``, ``"8-17"``)."""
    parts = value.split(sep)
    if len(parts) != count:
        raise StaleButton(value)
    return [button_int(part) for part in parts]


def button_enum(enum: type[E], value: str) -> E:
    """A member of ``enum`` by its value."""
    try:
        return enum(value)
    except ValueError:
        raise StaleButton(value) from None


def button_choice(value: str, choices: object) -> str:
    """``value`` when it is one of ``choices`` (a set, a dict's keys)."""
    if not isinstance(value, str) or value not in choices:  # type: ignore[operator]
        raise StaleButton(value)
    return value


async def answer_stale(query: CallbackQuery) -> None:
    await answer_query(query, _("This button is no longer active."))
