"""Surveys' rules: the kinds' answers, one answer per household (residents racing
on PostgreSQL), closed after the deadline, the tally and mean ratings, signed and
anonymous written answers, the /privacy export and erasure."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.clock import FrozenClock
from core.residents.own_data import erase_personal_data, personal_export
from core.surveys.models import QuestionKind, SurveyQuestion, SurveyResponse, SurveyStatus
from core.surveys.results import latest_satisfaction, survey_results
from core.surveys.rounds import close_due, residents_of
from core.surveys.service import (
    Answer,
    SurveyError,
    check_answer,
    open_yearly_survey,
    submit_answers,
)
from tests.factories import make_community, make_resident, make_unit

NOW = datetime(2030, 12, 3, 8, 0, tzinfo=UTC)
TODAY = date(2030, 12, 3)


def answers(*ratings: int, renew: int = 0, pick: tuple[int, ...] = (1,), text: str | None = None):
    found = {i: Answer(rating=r) for i, r in enumerate(ratings)}
    found[6] = Answer(choices=(renew,))
    found[7] = Answer(choices=pick)
    if text is not None:
        found[8] = Answer(text=text)
    return found


def test_each_kind_checks_its_answer() -> None:
    single = SurveyQuestion(kind=QuestionKind.SINGLE, options=["a", "b"])
    multi = SurveyQuestion(kind=QuestionKind.MULTI, options=["a", "b", "c"])
    rating = SurveyQuestion(kind=QuestionKind.RATING, options=[])
    text = SurveyQuestion(kind=QuestionKind.TEXT, options=[])
    good = [
        (single, Answer(choices=(1,))),
        (multi, Answer(choices=(0, 2))),
        (rating, Answer(rating=5)),
        (text, Answer(text="ok")),
        (text, None),  # a written answer may be skipped
    ]
    bad = [
        (single, Answer(choices=(0, 1))),
        (single, Answer(choices=(2,))),
        (multi, Answer(choices=())),
        (multi, Answer(choices=(1, 1))),
        (rating, Answer(rating=6)),
        (rating, Answer(rating=0)),
        (rating, None),
        (text, Answer(text="x" * 1001)),
    ]
    for question, answer in good:
        check_answer(question, answer)
    for question, answer in bad:
        with pytest.raises(SurveyError):
            check_answer(question, answer)


async def _opened(session):
    community = await make_community(session)
    flat = await make_unit(session, community, "1栋", "101")
    other = await make_unit(session, community, "1栋", "102")
    await make_unit(session, community, "2栋", "201")  # nobody lives there
    wife, _ = await make_resident(session, flat, name="Wife")
    husband, _ = await make_resident(session, flat, name="Husband")
    neighbour, _ = await make_resident(session, other, name="Neighbour")
    survey, count = await open_yearly_survey(
        session,
        community_id=community.id,
        person_id=None,
        year=2030,
        deadline=NOW + timedelta(days=7),
        now=NOW,
        today=TODAY,
    )
    await session.commit()
    assert count == 2
    return community, survey, (flat, other), (wife, husband, neighbour)


async def _submit(session, survey, unit, person, found, signed=False, at=NOW):
    return await submit_answers(
        session,
        survey_id=survey.id,
        unit_id=unit.id,
        person_id=person.id,
        answers=found,
        signed=signed,
        now=at,
        today=TODAY,
    )


async def test_one_answer_per_household_results_and_closing(session):
    community, survey, (flat, other), (wife, husband, neighbour) = await _opened(session)
    _, counted = await _submit(
        session, survey, flat, wife, answers(5, 4, 3, 4, 2, 4, text="Fix the lift"), signed=True
    )
    assert counted
    response, counted = await _submit(session, survey, flat, husband, answers(1, 1, 1, 1, 1, 1))
    assert not counted and response.person_id == wife.id
    with pytest.raises(SurveyError) as refused:
        await _submit(session, survey, other, wife, answers(3, 3, 3, 3, 3, 3))
    assert refused.value.code == "not_resident"
    with pytest.raises(SurveyError) as incomplete:
        await _submit(session, survey, other, neighbour, {0: Answer(rating=3)})
    assert incomplete.value.code == "bad_answer"
    assert await residents_of(session, survey, TODAY, not_answered=True) == [neighbour.id]
    await _submit(
        session,
        survey,
        other,
        neighbour,
        answers(3, 2, 3, 2, 3, 2, renew=1, pick=(1, 3), text="Too dark at night"),
    )
    with pytest.raises(SurveyError) as late:
        await _submit(
            session, survey, other, neighbour, answers(3, 3, 3, 3, 3, 3), at=NOW + timedelta(days=8)
        )
    assert late.value.code == "closed"
    await session.commit()

    results = await survey_results(session, survey)
    assert (results.households, results.responded) == (2, 2)
    security, cleaning = results.questions[0], results.questions[1]
    assert security.counts == [0, 0, 1, 0, 1] and security.mean == D("4.00")
    assert cleaning.mean == D("3.00")
    renew, priorities, comments = results.questions[6:]
    assert renew.counts == [1, 1, 0] and priorities.counts == [0, 2, 0, 1, 0, 0]
    # Signed: the writer's name; not signed: no name.
    assert comments.texts == [("Fix the lift", "Wife"), ("Too dark at night", None)]
    assert results.mean_rating == D("3.08")

    assert await latest_satisfaction(session, community.id) is None  # still open
    closed = await close_due(session, NOW + timedelta(days=7))
    assert [s.id for s in closed] == [survey.id] and survey.status == SurveyStatus.CLOSED
    await session.commit()
    satisfaction = await latest_satisfaction(session, community.id)
    assert satisfaction is not None and satisfaction.mean == D("3.08")
    assert satisfaction.closed_at == NOW + timedelta(days=7)


async def test_privacy_export_lists_answers_and_erasure_keeps_the_tally(session):
    _, survey, (flat, _other), (wife, _, _) = await _opened(session)
    await _submit(
        session, survey, flat, wife, answers(5, 5, 5, 5, 5, 5, text="Thanks"), signed=True
    )
    await session.commit()
    export = (await personal_export(session, wife.id))["surveys"]["survey_answers"]
    [given] = export
    assert given["unit"] == "1栋-101" and given["signed"] is True
    assert {"question": "comments", "choices": [], "rating": None, "text": "Thanks"} in given[
        "answers"
    ]
    assert {
        "question": "priorities",
        "choices": ["cleaning"],
        "rating": None,
        "text": None,
    } in given["answers"]

    await erase_personal_data(session, wife.id, clock=FrozenClock(NOW))
    await session.commit()
    assert (await personal_export(session, wife.id))["surveys"]["survey_answers"] == []
    stored = await session.scalar(select(SurveyResponse))
    assert stored.person_id is None and stored.signed is False
    results = await survey_results(session, survey)
    assert results.responded == 1 and results.questions[8].texts == [("Thanks", None)]


@pytest.mark.postgres
async def test_residents_of_a_household_racing_give_one_answer(
    session, session_factory, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the race is PostgreSQL's")
    _, survey, (flat, _other), (wife, husband, _) = await _opened(session)

    async def submit(person, rating):
        async with session_factory() as s:
            result = await _submit(s, survey, flat, person, answers(*[rating] * 6))
            await s.commit()
            return result

    results = await asyncio.gather(submit(wife, 5), submit(husband, 1), submit(husband, 2))
    assert sum(counted for _, counted in results) == 1
    assert len({r.id for r, _ in results}) == 1
    assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    tally = await survey_results(session, survey)
    assert tally.responded == 1 and sum(tally.questions[0].counts) == 1


def test_a_written_questionnaire_is_held_to_its_limits() -> None:
    from core.surveys.service import check_questions
    from core.surveys.template import QuestionSpec

    good = QuestionSpec(None, QuestionKind.SINGLE, ("Street", "Garage"), "Where do you park?")
    check_questions("Parking", [good, QuestionSpec(None, QuestionKind.TEXT, (), "Ideas?")])
    for title, specs in [
        ("", [good]),
        ("Parking", []),
        ("Parking", [good] * 21),
        ("Parking", [QuestionSpec(None, QuestionKind.SINGLE, ("Only",), "Where?")]),
        ("Parking", [QuestionSpec(None, QuestionKind.RATING, ("x", "y"), "Rate")]),
        ("Parking", [QuestionSpec(None, QuestionKind.TEXT, (), "x" * 301)]),
        ("Parking", [QuestionSpec(None, QuestionKind.MULTI, ("a", "b" * 41), "Pick")]),
    ]:
        with pytest.raises(SurveyError):
            check_questions(title, specs)
