"""Composing a notice, first phase (admin group, managers: ``notices.send``).

Steps: ``/notice`` → the kind (general, outage, emergency) → the audience (every
resident, owners only, tenants only, some units) → the buildings (typed names, or
the whole community), or the units (typed labels, :mod:`.units_step`) → for an
outage, its window (``2026-12-04 09:00 - 17:00``), then the title
(:mod:`.compose_text`). The kind and audience buttons are taken by
:mod:`.steps`; "✖ Cancel" or /cancel drops the draft at any step.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from core.community.models import NoticeKind
from core.community.times import parse_window
from core.models import Community
from handlers.community.drafting import WINDOW_EXAMPLE, NoticeSteps
from handlers.community.steps import ask, buildings_step, start_command
from handlers.community.units_step import units_step
from handlers.kit import admin_router, group_command

router = admin_router("community.compose_start")

group_command("notice", __("Send a notice to residents"), order=50)


start_command(router, "notice", "notices.send", NoticeSteps.kind)


async def _after_buildings(state: FSMContext) -> State:
    outage = (await state.get_data())["kind"] == NoticeKind.OUTAGE.value
    return NoticeSteps.window if outage else NoticeSteps.title


buildings_step(router, NoticeSteps.buildings, "buildings", _after_buildings)
units_step(router, NoticeSteps.units, _after_buildings)


@router.message(NoticeSteps.window, F.text)
async def typed_window(message: Message, state: FSMContext, community: Community) -> None:
    window = parse_window(message.text or "", community.timezone)
    if window is None:
        await message.answer(
            _("I could not read that as a start and an end. Please write it like {example}").format(
                example=WINDOW_EXAMPLE
            )
        )
        return
    await state.update_data(starts_at=window[0].isoformat(), ends_at=window[1].isoformat())
    await ask(message, state, NoticeSteps.title)


@router.message(StateFilter(NoticeSteps.buildings, NoticeSteps.units, NoticeSteps.window))
async def reask_text(message: Message) -> None:
    await message.answer(_("Please answer in text, or press ✖ Cancel."))


@router.message(StateFilter(NoticeSteps.kind, NoticeSteps.audience, NoticeSteps.preview))
async def reask_button(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))
