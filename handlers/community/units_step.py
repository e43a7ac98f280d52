"""The "some units" step of a notice or an event (admin group).

Steps: staff type unit labels separated by commas or 、 (``1栋 101, 3-301``) →
each is read by :func:`core.units.find_unit_by_label` → all known: their ids and
labels are kept in the draft and the flow goes on; any unknown: they are named
and the step asks again.
"""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community
from core.units import find_unit_by_label
from handlers.community.steps import NextStep, ask

MAX_UNITS = 50
_SPLIT = re.compile(r"[,，、;；\n]+")


def units_step(router: Router, at: State, after: State | NextStep) -> None:
    """The units step at ``at``, then ``after``."""

    async def units(
        message: Message, state: FSMContext, session: AsyncSession, community: Community
    ) -> None:
        labels = list(dict.fromkeys(t.strip() for t in _SPLIT.split(message.text or "")))
        labels = [t for t in labels if t]
        if not labels or len(labels) > MAX_UNITS:
            await message.answer(
                _("Please send between 1 and {limit} units, separated by commas.").format(
                    limit=MAX_UNITS
                )
            )
            return
        found: dict[int, str] = {}
        unknown = []
        for label in labels:
            unit = await find_unit_by_label(session, community.id, label)
            if unit is None:
                unknown.append(label)
            else:
                found[unit.id] = f"{unit.building.name} {unit.number}"
        if unknown:
            await message.answer(
                _("I could not find {units}. Write them like 1栋 101, separated by commas.").format(
                    units="、".join(unknown)
                )
            )
            return
        await state.update_data(
            unit_ids=list(found), building_ids=[], building_names=list(found.values())
        )
        await ask(message, state, after if isinstance(after, State) else await after(state))

    router.message(at, F.text)(units)
