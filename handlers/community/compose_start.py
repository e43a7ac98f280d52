"""Composing a notice, first phase (admin group, managers: ``notices.send``).

Steps: ``/notice`` → the kind (general, outage, emergency) → the audience (every
resident, owners only, tenants only) → the buildings (typed names, or the whole
community) → for an outage, its window (``2026-12-04 09:00 - 17:00``), then the
title (:mod:`.compose_text`). "✖ Cancel" or /cancel drops the draft at any step.
"""

from __future__ import annotations

import re

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.models import Audience, NoticeKind
from core.community.notices import buildings_by_name
from core.community.times import parse_window
from core.models import Community
from handlers.community.callbacks import Compose
from handlers.community.drafting import WINDOW_EXAMPLE, NoticeSteps, ask
from handlers.kit import admin_router, answer_query, group_command, reply

router = admin_router("community.compose_start")

group_command("notice", __("Send a notice to residents"), order=50)

# A choice step: the values its buttons may carry, and the step after it.
CHOICES = {
    "kind": ({k.value for k in NoticeKind}, NoticeSteps.audience),
    "audience": ({a.value for a in Audience}, NoticeSteps.buildings),
}


@router.message(Command("notice"), StateFilter("*"), flags={"staff": "notices.send"})
async def start(message: Message, state: FSMContext) -> None:
    await state.set_data({})
    await ask(message, state, NoticeSteps.kind)


@router.callback_query(Compose.filter(F.step == "cancel"), StateFilter("*"))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await reply(query, _("The notice draft is dropped."))


@router.callback_query(
    StateFilter(NoticeSteps.kind, NoticeSteps.audience), Compose.filter(F.step.in_(CHOICES))
)
async def chose(query: CallbackQuery, callback_data: Compose, state: FSMContext) -> None:
    await answer_query(query)
    allowed, after = CHOICES[callback_data.step]
    if callback_data.value in allowed and isinstance(query.message, Message):
        await state.update_data({callback_data.step: callback_data.value})
        await ask(query.message, state, after)


@router.callback_query(NoticeSteps.buildings, Compose.filter(F.step == "buildings"))
async def whole_community(query: CallbackQuery, state: FSMContext) -> None:
    await answer_query(query)
    await state.update_data(building_ids=[], building_names=[])
    assert isinstance(query.message, Message)
    await _after_buildings(query.message, state)


@router.message(NoticeSteps.buildings, F.text)
async def typed_buildings(
    message: Message, state: FSMContext, session: AsyncSession, community: Community
) -> None:
    known = await buildings_by_name(session, community.id)
    names = list(dict.fromkeys(n for n in re.split(r"[,，、;；\s]+", message.text or "") if n))
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        await message.answer(
            _("I don't know {unknown}. The buildings are: {known}.").format(
                unknown="、".join(unknown) or "—", known="、".join(sorted(known)) or "—"
            )
        )
        return
    await state.update_data(building_ids=[known[n].id for n in names], building_names=names)
    await _after_buildings(message, state)


async def _after_buildings(message: Message, state: FSMContext) -> None:
    outage = (await state.get_data())["kind"] == NoticeKind.OUTAGE.value
    await ask(message, state, NoticeSteps.window if outage else NoticeSteps.title)


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


@router.message(StateFilter(NoticeSteps.buildings, NoticeSteps.window))
async def reask_text(message: Message) -> None:
    await message.answer(_("Please answer in text, or press ✖ Cancel."))


@router.message(StateFilter(NoticeSteps.kind, NoticeSteps.audience, NoticeSteps.preview))
async def reask_button(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))
