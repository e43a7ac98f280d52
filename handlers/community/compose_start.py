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
from handlers.community.drafting import NoticeSteps, button, keyboard
from handlers.community.views import KIND_ICONS, kind_label
from handlers.kit import admin_router, answer_query, group_command, reply

router = admin_router("community.compose_start")

group_command("notice", __("Send a notice to residents"), order=50)

WINDOW_EXAMPLE = "2026-12-04 09:00 - 17:00"


@router.message(Command("notice"), StateFilter("*"), flags={"staff": "notices.send"})
async def start(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(NoticeSteps.kind)
    await message.answer(
        _("📢 A new notice to residents. What kind is it?"),
        reply_markup=keyboard(
            [button(f"{KIND_ICONS[k]} {kind_label(k)}", "kind", k.value) for k in NoticeKind]
        ),
    )


@router.callback_query(Compose.filter(F.step == "cancel"), StateFilter("*"))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await reply(query, _("The notice draft is dropped."))


@router.callback_query(NoticeSteps.kind, Compose.filter(F.step == "kind"))
async def chose_kind(query: CallbackQuery, callback_data: Compose, state: FSMContext) -> None:
    await state.update_data(kind=NoticeKind(callback_data.value).value)
    await state.set_state(NoticeSteps.audience)
    await reply(
        query,
        _("Who should receive it?"),
        reply_markup=keyboard(
            [button(_("Every resident"), "audience", Audience.ALL.value)],
            [
                button(_("Owners only"), "audience", Audience.OWNERS.value),
                button(_("Tenants only"), "audience", Audience.TENANTS.value),
            ],
        ),
    )


@router.callback_query(NoticeSteps.audience, Compose.filter(F.step == "audience"))
async def chose_audience(query: CallbackQuery, callback_data: Compose, state: FSMContext) -> None:
    await state.update_data(audience=Audience(callback_data.value).value)
    await state.set_state(NoticeSteps.buildings)
    await reply(
        query,
        _(
            "Which buildings? Send their names separated by commas (e.g. 1栋, 3栋), "
            "or press “Whole community”."
        ),
        reply_markup=keyboard([button(_("🏘 Whole community"), "buildings", "all")]),
    )


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
    names = [n for n in re.split(r"[,，、;；\s]+", message.text or "") if n]
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        await message.answer(
            _("I don't know {unknown}. The buildings are: {known}.").format(
                unknown="、".join(unknown) or "—", known="、".join(sorted(known)) or "—"
            )
        )
        return
    chosen = list(dict.fromkeys(names))
    await state.update_data(building_ids=[known[n].id for n in chosen], building_names=chosen)
    await _after_buildings(message, state)


async def _after_buildings(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    if data["kind"] == NoticeKind.OUTAGE.value:
        await state.set_state(NoticeSteps.window)
        await message.answer(
            _(
                "When is the outage? Send the start and end in the community's time, e.g. {example}"
            ).format(example=WINDOW_EXAMPLE)
        )
        return
    await ask_title(message, state)


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
    await ask_title(message, state)


async def ask_title(message: Message, state: FSMContext) -> None:
    await state.set_state(NoticeSteps.title)
    await message.answer(_("The title (at most 100 characters):"))


@router.message(StateFilter(NoticeSteps.buildings, NoticeSteps.window))
async def reask_text(message: Message) -> None:
    await message.answer(_("Please answer in text, or press ✖ Cancel."))


@router.message(StateFilter(NoticeSteps.kind, NoticeSteps.audience, NoticeSteps.preview))
async def reask_button(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))
