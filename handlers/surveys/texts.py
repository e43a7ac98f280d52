"""What a survey says: its title, each template question and option in the
reader's language (a custom question as staff wrote it), the rating scale, the
resident's card, and the results as text. Built in the reader's current locale."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.formatting import fmt_short_datetime
from core.surveys.models import QuestionKind, Survey, SurveyKind, SurveyQuestion, SurveyStatus
from core.surveys.results import SurveyResults


def survey_title(survey: Survey) -> str:
    if survey.kind == SurveyKind.YEARLY:
        return _("Property-service survey {year}").format(year=survey.title)
    return survey.title


def _area(key: str) -> str:
    return {
        "security": _("Security"),
        "cleaning": _("Cleaning"),
        "greening": _("Greening"),
        "repairs": _("Repairs"),
        "fees": _("Fees and accounts"),
        "facilities": _("Shared facilities"),
    }.get(key, key)


def question_text(question: SurveyQuestion) -> str:
    key = question.key
    if key is None:
        return question.text
    if question.kind == QuestionKind.RATING:
        return _("How satisfied are you with {area}? (1 = very poor, 5 = very good)").format(
            area=_area(key)
        )
    return {
        "renew": _("Should the property company's service contract be renewed?"),
        "priorities": _("Which areas should the office improve first? Choose any."),
        "comments": _("Anything else you would like to tell the property office?"),
    }.get(key, key)


def short_label(question: SurveyQuestion) -> str:
    """A question's name in results and charts (a rating: its service area)."""
    if question.key is not None and question.kind == QuestionKind.RATING:
        return _area(question.key)
    text = question_text(question)
    return text if len(text) <= 40 else text[:39] + "…"


def option_label(question: SurveyQuestion, index: int) -> str:
    option = question.options[index]
    if question.key is None:
        return option
    return {"yes": _("Yes"), "no": _("No"), "unsure": _("Not sure")}.get(option) or _area(option)


def kind_hint(kind: QuestionKind) -> str:
    return {
        QuestionKind.SINGLE: _("Choose one."),
        QuestionKind.MULTI: _("Tap to tick as many as apply, then ✔ Done."),
        QuestionKind.RATING: _("Tap a rating."),
        QuestionKind.TEXT: _("Send your answer as a message (at most {limit} characters)."),
    }[kind]


def survey_card(survey: Survey, tz: str, count: int) -> str:
    locale = get_i18n().current_locale
    lines = [f"📋 <b>{escape(survey_title(survey))}</b>"]
    lines.append(
        _("{count} questions · one answer per household · about 2 minutes.").format(count=count)
    )
    deadline = fmt_short_datetime(survey.deadline, tz, locale)
    is_open = survey.status == SurveyStatus.OPEN
    lines.append(
        _("Open until {time}.").format(time=deadline) if is_open else _("This survey is closed.")
    )
    return "\n".join(lines)


def surveys_keyboard(
    surveys: list[Survey], press: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """One button per survey (open 📝, closed 🏁); ``press``: survey id -> its data."""
    buttons = []
    for survey in surveys:
        icon = "📝" if survey.status == SurveyStatus.OPEN else "🏁"
        label = f"{icon} #{survey.id} {survey_title(survey)}"[:60]
        buttons.append([InlineKeyboardButton(text=label, callback_data=press(survey.id).pack())])
    return InlineKeyboardMarkup(inline_keyboard=buttons)


def results_text(results: SurveyResults) -> str:
    survey = results.survey
    lines = [
        _("📊 Results: {title}").format(title=escape(survey_title(survey))),
        _("Households answered: {done} of {total}").format(
            done=results.responded, total=results.households
        ),
    ]
    if results.mean_rating is not None:
        lines.append(_("Mean rating: {mean} of 5").format(mean=results.mean_rating))
    for result in results.questions:
        q = result.question
        lines.append("")
        lines.append(f"<b>{escape(short_label(q))}</b>")
        if q.kind == QuestionKind.RATING:
            lines.append(
                _("Mean {mean} ({count} answers)").format(
                    mean=result.mean if result.mean is not None else "—", count=result.answered
                )
            )
            lines.append("  ".join(f"{i + 1}★ {n}" for i, n in enumerate(result.counts)))
        elif q.kind == QuestionKind.TEXT:
            lines.append(_("{count} written answers (in the PDF)").format(count=len(result.texts)))
        else:
            lines.extend(
                f"• {escape(option_label(q, i))}: {n}" for i, n in enumerate(result.counts)
            )
    return "\n".join(lines)
