"""A survey's results as a chart (mean rating per question, 1–5) and a PDF for the
owners' committee and the managers: turnout, each question's counts, the written
answers — anonymous unless the resident signed. In the reader's locale; the PDF is
laid out by the fees area's renderer (a CJK font; None without one)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from html import escape

from aiogram.utils.i18n import gettext as _

from core.fees.documents import render_pdf
from core.surveys.chart import Bars, render_bars
from core.surveys.models import QuestionKind
from core.surveys.results import QuestionResult, SurveyResults
from handlers.surveys.texts import option_label, question_text, short_label, survey_title

CHOICES = (QuestionKind.SINGLE, QuestionKind.MULTI)


async def results_chart(results: SurveyResults) -> bytes | None:
    """The mean rating per rating question; a questionnaire without ratings: the
    households per option of its choice questions; only written answers: None."""
    title = survey_title(results.survey)
    rated = [q for q in results.questions if q.question.kind == QuestionKind.RATING]
    if rated:
        bars = Bars(
            title=_("{title}: mean rating (1–5)").format(title=title),
            rows=[(short_label(q.question), float(q.mean or 0)) for q in rated],
            limit=5,
            value_format="{:.2f}",
        )
    else:
        chosen = [q for q in results.questions if q.question.kind in CHOICES]
        rows = [
            (f"{short_label(q.question)[:20]}: {option_label(q.question, i)}", float(n))
            for q in chosen
            for i, n in enumerate(q.counts)
        ]
        if not rows:
            return None
        bars = Bars(
            title=_("{title}: households per answer").format(title=title),
            rows=rows,
            limit=max(results.responded, 1),
        )
    return await asyncio.to_thread(render_bars, bars)


def _table(head: tuple[str, str], rows: Sequence[tuple[str, object]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(f"<tr><td>{escape(a)}</td><td>{escape(str(b))}</td></tr>" for a, b in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _question_html(result: QuestionResult) -> str:
    q = result.question
    parts = [f"<h3>{escape(question_text(q))}</h3>"]
    if q.kind == QuestionKind.RATING:
        parts.append(
            "<p>"
            + escape(
                _("Mean {mean} ({count} answers)").format(
                    mean=result.mean if result.mean is not None else "—", count=result.answered
                )
            )
            + "</p>"
        )
        rows = [(f"{i + 1}★", n) for i, n in enumerate(result.counts)]
        parts.append(_table((_("Rating"), _("Households")), rows))
    elif q.kind == QuestionKind.TEXT:
        anonymous = _("anonymous")
        parts.extend(
            f"<p>— {escape(text)} ({escape(name or anonymous)})</p>" for text, name in result.texts
        )
        if not result.texts:
            parts.append("<p>—</p>")
    else:
        rows = [(option_label(q, i), n) for i, n in enumerate(result.counts)]
        parts.append(_table((_("Answer"), _("Households")), rows))
    return "".join(parts)


def results_html(results: SurveyResults) -> str:
    title = survey_title(results.survey)
    turnout = _("Households answered: {done} of {total}").format(
        done=results.responded, total=results.households
    )
    lines = [f"<h1>{escape(title)}</h1>", f"<p>{escape(turnout)}</p>"]
    if results.mean_rating is not None:
        mean = _("Mean rating: {mean} of 5").format(mean=results.mean_rating)
        lines.append(f"<p>{escape(mean)}</p>")
    lines.extend(_question_html(r) for r in results.questions)
    return "".join(lines)


async def results_pdf(results: SurveyResults) -> bytes | None:
    html = results_html(results)
    return await asyncio.to_thread(render_pdf, html, title=f"survey-{results.survey.id}")
