"""The demo community's yearly survey: open, with every lived-in household, and
its residents told by the survey job."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.sandbox.runtime import Sandbox
from core.surveys.models import Survey, SurveyKind, SurveyQuestion, SurveyStatus, SurveyUnit
from handlers.surveys.jobs import run_surveys

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_demo_has_the_yearly_survey_open(module_sandbox: Sandbox) -> None:
    ctx = module_sandbox.require_app().ctx
    async with ctx.session_factory() as session:
        survey = await session.scalar(select(Survey))
        assert survey is not None
        assert (survey.kind, survey.status) == (SurveyKind.YEARLY, SurveyStatus.OPEN)
        assert await session.scalar(select(func.count(SurveyQuestion.id))) == 9
        assert await session.scalar(select(func.count()).select_from(SurveyUnit)) > 0
    await run_surveys(ctx)
    async with ctx.session_factory() as session:
        told = await session.scalar(select(Survey.announced_at))
        assert told is not None
