"""The sandbox's yearly property-service survey, open for two weeks, opened through
the same service the manager's /survey uses. The survey job tells every household
once the sandbox runs; residents find it under "📝 Surveys", staff see the results
with /surveys."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community, Person
from core.surveys.service import open_yearly_survey


async def seed_surveys(
    session: AsyncSession, community: Community, manager: Person, *, now: datetime, today: date
) -> None:
    await open_yearly_survey(
        session,
        community_id=community.id,
        person_id=manager.id,
        year=today.year,
        deadline=now + timedelta(days=14),
        now=now,
        today=today,
    )
