"""A survey's rounds, run by the survey job: who to tell or remind, closing at the
deadline (the messages themselves are sent by ``handlers/surveys/jobs.py``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.models import Residency
from core.residency import active_residency_clause
from core.surveys.models import Survey, SurveyResponse, SurveyStatus, SurveyUnit
from core.surveys.service import REMIND_BEFORE


async def residents_of(
    session: AsyncSession, survey: Survey, today: date, *, not_answered: bool = False
) -> list[int]:
    """People living in the survey's units today; with ``not_answered``, only in
    units without an answer."""
    query = (
        select(Residency.person_id)
        .join(SurveyUnit, (SurveyUnit.unit_id == Residency.unit_id))
        .where(SurveyUnit.survey_id == survey.id, active_residency_clause(today))
        .distinct()
        .order_by(Residency.person_id)
    )
    if not_answered:
        answered = select(SurveyResponse.unit_id).where(SurveyResponse.survey_id == survey.id)
        query = query.where(Residency.unit_id.not_in(answered))
    return list(await session.scalars(query))


async def close_due(session: AsyncSession, now: datetime) -> list[Survey]:
    """Surveys past their deadline, closed and audited (caller's transaction)."""
    due = list(
        await session.scalars(
            select(Survey).where(Survey.status == SurveyStatus.OPEN, Survey.deadline <= now)
        )
    )
    for survey in due:
        survey.status = SurveyStatus.CLOSED
        survey.closed_at = now
        await record_audit(
            session,
            "surveys.close",
            community_id=survey.community_id,
            target_type="survey",
            target_id=survey.id,
        )
    return due


async def due_reminders(session: AsyncSession, now: datetime) -> list[Survey]:
    """Open surveys within :data:`REMIND_BEFORE` of their deadline, told a day ago or
    more and not reminded yet."""
    return list(
        await session.scalars(
            select(Survey).where(
                Survey.status == SurveyStatus.OPEN,
                Survey.reminded_at.is_(None),
                # Told at least a day ago: a short survey is not reminded at once.
                Survey.announced_at <= now - timedelta(days=1),
                Survey.deadline <= now + REMIND_BEFORE,
                Survey.deadline > now,
            )
        )
    )


async def to_announce(session: AsyncSession) -> list[Survey]:
    """Open surveys whose residents have not all been told yet."""
    return list(
        await session.scalars(
            select(Survey).where(Survey.status == SurveyStatus.OPEN, Survey.announced_at.is_(None))
        )
    )
