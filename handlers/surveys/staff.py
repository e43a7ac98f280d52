"""Surveys on the staff side (admin group, any staff: ``surveys.view``).

Steps: ``/surveys`` → the latest surveys, each with a button → a survey's results:
households answered, each question's counts and mean rating as text, then the
chart (mean rating per service area) and the PDF for the owners' committee, with
the written answers — anonymous unless the resident signed. The survey job posts
the same when a survey closes.
"""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sender import deliver
from core.identity import Identity
from core.models import Community
from core.surveys.results import SurveyResults, survey_results
from core.surveys.service import find_survey, recent_surveys
from handlers.kit import admin_router, answer_query, group_command, refuse_foreign
from handlers.surveys.callbacks import SurveyStaff
from handlers.surveys.report import results_chart, results_pdf
from handlers.surveys.texts import results_text, survey_title, surveys_keyboard

router = admin_router("surveys.staff")

group_command("surveys", __("Surveys and their results"), order=55)


async def post_results(bot: Bot, chat_id: int, results: SurveyResults) -> bool:
    """The results as text, chart and PDF in ``chat_id`` (the current locale)."""
    sent = await deliver(bot.send_message(chat_id, results_text(results)))
    if not sent.ok:
        return False
    survey = results.survey
    if (chart := await results_chart(results)) is not None:
        await deliver(
            bot.send_photo(
                chat_id,
                BufferedInputFile(chart, filename=f"survey-{survey.id}.png"),
                caption=_("📊 {title}: the results as a chart").format(title=survey_title(survey)),
            )
        )
    pdf = await results_pdf(results)
    if pdf is not None:
        await deliver(
            bot.send_document(
                chat_id,
                BufferedInputFile(pdf, filename=f"survey-{survey.id}.pdf"),
                caption=_("📄 {title}: the results for the owners' committee (PDF)").format(
                    title=survey_title(survey)
                ),
            )
        )
    return True


@router.message(Command("surveys"), flags={"staff": "surveys.view"})
async def list_surveys(message: Message, session: AsyncSession, community: Community) -> None:
    if surveys := await recent_surveys(session, community.id):
        markup = surveys_keyboard(surveys, lambda i: SurveyStaff(action="results", survey_id=i))
        await message.answer(_("📋 Latest surveys:"), reply_markup=markup)
    else:
        await message.answer(_("No surveys yet. Open one with /survey."))


@router.callback_query(SurveyStaff.filter(F.action == "results"), flags={"staff": "surveys.view"})
async def results(
    query: CallbackQuery,
    callback_data: SurveyStaff,
    session: AsyncSession,
    community: Community,
    identity: Identity,
) -> None:
    survey = await find_survey(session, callback_data.survey_id, community.id)
    if not survey:
        await refuse_foreign(
            query,
            session,
            identity,
            "surveys.view",
            _("That survey is not of this community."),
            target_type="survey",
            target_id=callback_data.survey_id,
            community_id=community.id,
        )
        return
    await answer_query(query)
    assert query.bot is not None and community.admin_chat_id is not None
    await post_results(query.bot, community.admin_chat_id, await survey_results(session, survey))
