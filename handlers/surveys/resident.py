"""Surveys on the resident's side (private chat): finding one.

Steps: "📝 Surveys" in the home menu (or ``/surveys``, or the "Answer now" button of
a survey's message) → the surveys on the households they live in → a survey: its
title, the number of questions, the deadline, and per household either the answer
already given (when; by whom, if it was them) or "✏️ Answer for 1栋-101" → the
questions (:mod:`.answer`). After the deadline the survey answers "closed".
"""

from __future__ import annotations

from datetime import date

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from core.surveys.models import Survey, SurveyStatus
from core.surveys.service import (
    SurveyError,
    get_survey,
    is_closed,
    my_households,
    questions,
    surveys_of_resident,
)
from handlers.kit import answer_query, menu_entry, private_command, private_router, reply
from handlers.kit.menu import residents
from handlers.surveys.callbacks import SurveyCb
from handlers.surveys.texts import survey_card, surveys_keyboard

router = private_router("surveys.resident")

menu_entry("surveys", __("📝 Surveys"), residents, order=17)
private_command("surveys", __("Surveys of the property office"), order=17)


def answer_button(survey_id: int) -> InlineKeyboardMarkup:
    data = SurveyCb(action="open", survey_id=survey_id).pack()
    button = InlineKeyboardButton(text=_("✏️ Answer now"), callback_data=data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@router.callback_query(F.data == "menu:surveys", StateFilter("*"))
@router.message(Command("surveys"), StateFilter("*"))
async def list_surveys(
    event: Message | CallbackQuery,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
    state: FSMContext,
) -> None:
    if identity.person_id is None or not identity.units:
        await reply(event, _("Surveys are for residents of the community."))
        return
    await state.clear()
    now = app.clock.now()
    found = await surveys_of_resident(
        session, identity.person_id, now, await _today(session, identity, app)
    )
    if found:
        markup = surveys_keyboard(found, lambda i: SurveyCb(action="open", survey_id=i))
        await reply(event, _("📝 Surveys:"), reply_markup=markup)
    else:
        await reply(event, _("There is no survey for your household now."))


async def _today(session: AsyncSession, identity: Identity, app: AppContext) -> date:
    community = await session.get(Community, identity.units[0].community_id)
    assert community is not None
    return community_today(community, app.clock)


async def survey_of(
    query: CallbackQuery, session: AsyncSession, survey_id: int
) -> tuple[Survey, Community] | None:
    """The survey a button is about and its community; None (answered) if gone."""
    try:
        survey = await get_survey(session, survey_id)
    except SurveyError:
        survey = None
    community = await session.get(Community, survey.community_id) if survey else None
    if survey is None or community is None:
        await answer_query(query, _("This button is no longer active."))
        return None
    return survey, community


@router.callback_query(SurveyCb.filter(F.action == "open"), StateFilter("*"))
async def open_card(
    query: CallbackQuery,
    callback_data: SurveyCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
    state: FSMContext,
) -> None:
    if (found := await survey_of(query, session, callback_data.survey_id)) is None:
        return
    survey, community = found
    await state.clear()
    if identity.person_id is None:
        return
    locale = get_i18n().current_locale
    homes = await my_households(
        session, survey, identity.person_id, community_today(community, app.clock)
    )
    closed = is_closed(survey, app.clock.now())
    lines = [survey_card(survey, community.timezone, len(await questions(session, survey.id)))]
    if closed and survey.status == SurveyStatus.OPEN:
        lines.append(_("This survey is closed."))
    rows = []
    for home in homes:
        if home.response is not None:
            when = fmt_short_datetime(home.response.submitted_at, community.timezone, locale)
            if home.response.person_id == identity.person_id:
                lines.append(
                    _("{unit}: you answered on {time}.").format(unit=home.label, time=when)
                )
            else:
                lines.append(
                    _("{unit}: someone in your household answered on {time}.").format(
                        unit=home.label, time=when
                    )
                )
        elif closed:
            lines.append(_("{unit}: did not answer.").format(unit=home.label))
        else:
            rows.append(
                [
                    InlineKeyboardButton(
                        text=_("✏️ Answer for {unit}").format(unit=home.label),
                        callback_data=SurveyCb(
                            action="start", survey_id=survey.id, value=str(home.unit_id)
                        ).pack(),
                    )
                ]
            )
    if not homes:
        lines.append(_("This survey is not for your household."))
    await reply(query, "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
