"""Surveys: opening one from the template, the households that may answer, a
household's answer, the deadline (closing) and the reminders' recipients.

One answer per household: the first resident of a unit to submit decides, through
a unique (survey, unit) row inserted with ON CONFLICT DO NOTHING — two residents
submitting at the same moment get one counted answer, the other is told. Every
answer is checked here (the kinds' rules), written in one transaction with its
response. After the deadline the survey answers "closed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.community.times import ON_THE_LIST
from core.models import Building, Residency, Unit
from core.residency import active_residency_clause
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
from core.surveys.template import YEARLY, QuestionSpec

TEXT_MAX = 1000
TITLE_MAX = 120
QUESTIONS_MAX = 20
QUESTION_MAX = 300
OPTIONS_MAX = 10
OPTION_MAX = 40
RATING_MAX = 5
LATEST = timedelta(days=90)
REMIND_BEFORE = timedelta(hours=48)


class SurveyError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Answer:
    """One question's answer: option indexes, a rating, or a text (None: skipped)."""

    choices: tuple[int, ...] = ()
    rating: int | None = None
    text: str | None = None


def check_answer(question: SurveyQuestion, answer: Answer | None) -> None:
    """Raise ``bad_answer`` unless ``answer`` fits the question (only a free-text
    question may be left unanswered)."""
    kind = QuestionKind(question.kind)
    if answer is None:
        if kind != QuestionKind.TEXT:
            raise SurveyError("bad_answer")
        return
    count = len(question.options)
    picked = answer.choices
    ok = {
        QuestionKind.SINGLE: len(picked) == 1 and 0 <= picked[0] < count,
        QuestionKind.MULTI: bool(picked)
        and len(set(picked)) == len(picked)
        and all(0 <= c < count for c in picked),
        QuestionKind.RATING: answer.rating is not None and 1 <= answer.rating <= RATING_MAX,
        QuestionKind.TEXT: answer.text is not None and 0 < len(answer.text) <= TEXT_MAX,
    }[kind]
    if not ok:
        raise SurveyError("bad_answer")


async def households(session: AsyncSession, community_id: int, today: date) -> list[int]:
    """Units of the community with someone living there today."""
    rows = await session.scalars(
        select(Unit.id)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(Unit.community_id == community_id, active_residency_clause(today))
        .distinct()
    )
    return list(rows)


def check_questions(title: str, specs: list[QuestionSpec]) -> None:
    """Raise unless a questionnaire staff wrote is within the limits: a title, 1 to
    :data:`QUESTIONS_MAX` questions of at most :data:`QUESTION_MAX` characters, a
    choice question with 2 to :data:`OPTIONS_MAX` options of :data:`OPTION_MAX`."""
    if not 0 < len(title) <= TITLE_MAX:
        raise SurveyError("bad_title")
    if not 0 < len(specs) <= QUESTIONS_MAX:
        raise SurveyError("bad_questions")
    for spec in specs:
        choices = spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)
        good_options = (
            2 <= len(spec.options) <= OPTIONS_MAX
            and all(0 < len(o) <= OPTION_MAX for o in spec.options)
            if choices
            else not spec.options
        )
        if not (0 < len(spec.text) <= QUESTION_MAX and good_options):
            raise SurveyError("bad_questions")


async def open_survey(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int | None,
    kind: SurveyKind,
    title: str,
    specs: list[QuestionSpec],
    deadline: datetime,
    now: datetime,
    today: date,
) -> tuple[Survey, int]:
    """The survey, its questions and its households (caller's transaction)."""
    if kind == SurveyKind.CUSTOM:
        check_questions(title, specs)
    if deadline <= now or deadline > now + LATEST:
        raise SurveyError("bad_deadline")
    units = await households(session, community_id, today)
    if not units:
        raise SurveyError("no_households")
    survey = Survey(
        community_id=community_id,
        created_by_person_id=person_id,
        kind=kind,
        title=title,
        deadline=deadline,
        status=SurveyStatus.OPEN,
        created_at=now,
    )
    session.add(survey)
    await session.flush()
    session.add_all(
        SurveyQuestion(
            survey_id=survey.id,
            position=i,
            kind=spec.kind,
            key=spec.key,
            text=spec.text,
            options=list(spec.options),
        )
        for i, spec in enumerate(specs)
    )
    session.add_all(SurveyUnit(survey_id=survey.id, unit_id=u) for u in units)
    await record_audit(
        session,
        "surveys.create",
        community_id=community_id,
        actor_person_id=person_id,
        target_type="survey",
        target_id=survey.id,
        details={
            "kind": kind.value,
            "questions": len(specs),
            "households": len(units),
            "deadline": deadline.isoformat(),
        },
    )
    return survey, len(units)


async def open_yearly_survey(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int | None,
    year: int,
    deadline: datetime,
    now: datetime,
    today: date,
) -> tuple[Survey, int]:
    """The yearly survey from the template (:mod:`core.surveys.template`)."""
    return await open_survey(
        session,
        community_id=community_id,
        person_id=person_id,
        kind=SurveyKind.YEARLY,
        title=str(year),
        specs=list(YEARLY),
        deadline=deadline,
        now=now,
        today=today,
    )


async def get_survey(session: AsyncSession, survey_id: int) -> Survey:
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise SurveyError("not_found")
    return survey


async def find_survey(session: AsyncSession, survey_id: int, community_id: int) -> Survey | None:
    """The survey if it is this community's (None: no such survey here)."""
    survey = await session.get(Survey, survey_id)
    return survey if survey is not None and survey.community_id == community_id else None


def is_closed(survey: Survey, now: datetime) -> bool:
    return survey.status != SurveyStatus.OPEN or now >= survey.deadline


async def questions(session: AsyncSession, survey_id: int) -> list[SurveyQuestion]:
    rows = await session.scalars(
        select(SurveyQuestion)
        .where(SurveyQuestion.survey_id == survey_id)
        .order_by(SurveyQuestion.position)
    )
    return list(rows)


@dataclass(frozen=True)
class Household:
    unit_id: int
    label: str
    response: SurveyResponse | None


async def my_households(
    session: AsyncSession, survey: Survey, person_id: int, today: date
) -> list[Household]:
    """The survey's units this person lives in, each with its answer if given."""
    rows = await session.execute(
        select(Unit.id, Building.name, Unit.number)
        .join(Building, Building.id == Unit.building_id)
        .join(SurveyUnit, (SurveyUnit.unit_id == Unit.id) & (SurveyUnit.survey_id == survey.id))
        .join(Residency, Residency.unit_id == Unit.id)
        .where(active_residency_clause(today), Residency.person_id == person_id)
        .distinct()
        .order_by(Building.name, Unit.number)
    )
    found = []
    for unit_id, building, number in rows.all():
        response = await session.scalar(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.unit_id == unit_id
            )
        )
        found.append(Household(unit_id, f"{building}-{number}", response))
    return found


async def surveys_of_resident(
    session: AsyncSession, person_id: int, now: datetime, today: date
) -> list[Survey]:
    """Surveys open now, or closed in the last 30 days, on units this person lives in."""
    rows = await session.scalars(
        select(Survey)
        .join(SurveyUnit, SurveyUnit.survey_id == Survey.id)
        .join(Residency, Residency.unit_id == SurveyUnit.unit_id)
        .where(
            active_residency_clause(today),
            Residency.person_id == person_id,
            (Survey.status == SurveyStatus.OPEN) | (Survey.closed_at >= now - ON_THE_LIST),
        )
        .distinct()
        .order_by(Survey.deadline)
    )
    return list(rows)


async def submit_answers(
    session: AsyncSession,
    *,
    survey_id: int,
    unit_id: int,
    person_id: int,
    answers: dict[int, Answer],
    signed: bool,
    now: datetime,
    today: date,
) -> tuple[SurveyResponse, bool]:
    """The household's response and whether this one counts (False: another
    resident's came first, and is returned). ``answers``: question position -> answer."""
    survey = await get_survey(session, survey_id)
    if is_closed(survey, now):
        raise SurveyError("closed")
    if await session.get(SurveyUnit, (survey_id, unit_id)) is None:
        raise SurveyError("not_entitled")
    lives = await session.scalar(
        select(Residency.id).where(
            active_residency_clause(today),
            Residency.person_id == person_id,
            Residency.unit_id == unit_id,
        )
    )
    if lives is None:
        raise SurveyError("not_resident")
    asked = await questions(session, survey_id)
    if set(answers) - {q.position for q in asked}:
        raise SurveyError("bad_answer")
    for question in asked:
        check_answer(question, answers.get(question.position))
    has_text = any(a.text for a in answers.values())
    insert_fn: Any = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    new_id = (
        await session.execute(
            insert_fn(SurveyResponse)
            .values(
                survey_id=survey_id,
                unit_id=unit_id,
                person_id=person_id,
                signed=signed and has_text,
                submitted_at=now,
            )
            .on_conflict_do_nothing(index_elements=["survey_id", "unit_id"])
            .returning(SurveyResponse.id)
        )
    ).scalar()
    if new_id is not None:
        session.add_all(
            SurveyAnswer(
                response_id=new_id,
                question_id=q.id,
                choices=list(a.choices),
                rating=a.rating,
                text=a.text,
            )
            for q in asked
            if (a := answers.get(q.position)) is not None
        )
        await session.flush()
    response = await session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.unit_id == unit_id
        )
    )
    assert response is not None
    return response, new_id is not None


async def recent_surveys(session: AsyncSession, community_id: int, limit: int = 8) -> list[Survey]:
    rows = await session.scalars(
        select(Survey)
        .where(Survey.community_id == community_id)
        .order_by(Survey.created_at.desc(), Survey.id.desc())
        .limit(limit)
    )
    return list(rows)
