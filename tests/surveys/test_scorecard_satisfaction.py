"""The monthly scorecard's "latest survey satisfaction": the mean rating of the
latest yearly survey closed by the month's end, with its date, seen by a manager."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from sqlalchemy import select

from core.models import Community, Person, Unit
from core.scorecard.figures import month_scorecard
from core.surveys.rounds import close_due
from core.surveys.service import Answer, open_yearly_survey, submit_answers
from tests.community.conftest import MANAGER_ID, OWNER_ID

OPENED = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


async def test_the_scorecard_shows_the_latest_yearly_survey(running_bot, world, session):
    community = await session.scalar(select(Community))
    before = await month_scorecard(session, community, date(2026, 11, 1), OPENED)
    assert before.satisfaction is None
    survey, _ = await open_yearly_survey(
        session,
        community_id=community.id,
        person_id=None,
        year=2026,
        deadline=OPENED + timedelta(days=10),
        now=OPENED,
        today=OPENED.date(),
    )
    owner = await session.scalar(select(Person).where(Person.telegram_id == OWNER_ID))
    unit = await session.scalar(select(Unit).where(Unit.number == "101"))
    ratings = {i: Answer(rating=r) for i, r in enumerate([5, 4, 4, 3, 4, 4])}
    ratings |= {6: Answer(choices=(0,)), 7: Answer(choices=(1,))}
    await submit_answers(
        session,
        survey_id=survey.id,
        unit_id=unit.id,
        person_id=owner.id,
        answers=ratings,
        signed=False,
        now=OPENED,
        today=OPENED.date(),
    )
    await close_due(session, OPENED + timedelta(days=10))
    await session.commit()

    november = await month_scorecard(session, community, date(2026, 11, 1), OPENED)
    assert november.satisfaction is not None and november.satisfaction.mean == D("4.00")
    october = await month_scorecard(session, community, date(2026, 10, 1), OPENED)
    assert october.satisfaction is None  # closed after October

    await world.group.send(MANAGER_ID, "/scorecard 2026-11")
    card = await world.group.expect("The office's scorecard")
    assert (
        "Latest survey satisfaction: 4.00 of 5 (yearly survey closed Nov 12, 2026" in card["text"]
    )
    assert "1 of 3 households" in card["text"]
