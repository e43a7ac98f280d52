"""A survey's results: turnout by household, per question the counts (options or
ratings 1–5) and the mean rating, and the free-text answers — with the writer's
name only when they chose to sign; the latest closed yearly survey's satisfaction
for the office's scorecard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Person
from core.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveyUnit,
)
from core.surveys.service import RATING_MAX, questions


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    # Per option (single, multi) or per rating 1..5 (rating): how many households.
    counts: list[int] = field(default_factory=list)
    # Free text: (text, the signer's name or None).
    texts: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def mean(self) -> Decimal | None:
        """The mean rating to two places (None: no rating, or nobody rated)."""
        if self.question.kind != QuestionKind.RATING or not self.answered:
            return None
        total = sum((i + 1) * n for i, n in enumerate(self.counts))
        return (Decimal(total) / self.answered).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class SurveyResults:
    survey: Survey
    households: int
    responded: int
    questions: list[QuestionResult]

    @property
    def mean_rating(self) -> Decimal | None:
        """The mean of every rating given, all rating questions together."""
        ratings = [q for q in self.questions if q.question.kind == QuestionKind.RATING]
        answered = sum(q.answered for q in ratings)
        if not answered:
            return None
        total = sum((i + 1) * n for q in ratings for i, n in enumerate(q.counts))
        return (Decimal(total) / answered).quantize(Decimal("0.01"), ROUND_HALF_UP)


async def survey_results(session: AsyncSession, survey: Survey) -> SurveyResults:
    households = await session.scalar(
        select(func.count()).select_from(SurveyUnit).where(SurveyUnit.survey_id == survey.id)
    )
    responded = await session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
    )
    found: dict[int, QuestionResult] = {}
    for q in await questions(session, survey.id):
        size = RATING_MAX if q.kind == QuestionKind.RATING else len(q.options)
        found[q.id] = QuestionResult(q, counts=[0] * size)
    rows = await session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.choices,
            SurveyAnswer.rating,
            SurveyAnswer.text,
            SurveyResponse.signed,
            Person.full_name,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .outerjoin(Person, Person.id == SurveyResponse.person_id)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    )
    for question_id, choices, rating, text, signed, name in rows.all():
        result = found[question_id]
        result.answered += 1
        if rating is not None:
            result.counts[rating - 1] += 1
        for choice in choices or []:
            result.counts[choice] += 1
        if text:
            result.texts.append((text, name if signed and name else None))
    return SurveyResults(survey, int(households or 0), int(responded or 0), list(found.values()))


@dataclass(frozen=True)
class Satisfaction:
    mean: Decimal | None
    closed_at: datetime
    closed_on: date  # in the community's time zone
    responded: int
    households: int


async def latest_satisfaction(
    session: AsyncSession, community_id: int, before: datetime | None = None, tz: str = "UTC"
) -> Satisfaction | None:
    """The latest yearly survey closed (before ``before``): its mean rating, its
    closing time, its turnout (None: no such survey)."""
    query = select(Survey).where(
        Survey.community_id == community_id,
        Survey.kind == SurveyKind.YEARLY,
        Survey.status == SurveyStatus.CLOSED,
    )
    if before is not None:
        query = query.where(Survey.closed_at < before)
    survey = await session.scalar(
        query.order_by(Survey.closed_at.desc(), Survey.id.desc()).limit(1)
    )
    if survey is None or survey.closed_at is None:
        return None
    results = await survey_results(session, survey)
    closed_on = survey.closed_at.astimezone(ZoneInfo(tz)).date()
    return Satisfaction(
        results.mean_rating, survey.closed_at, closed_on, results.responded, results.households
    )
