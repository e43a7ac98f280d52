"""A person's survey answers for /privacy (what they answered for their household,
signed or not); erasure keeps every answer counted but drops the link to the person
and the signature."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Building, Unit
from core.privacy import export_time
from core.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse


async def personal_survey_data(session: AsyncSession, person_id: int) -> dict[str, Any]:
    responses = await session.execute(
        select(SurveyResponse, Survey.kind, Survey.title, Building.name, Unit.number)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(Unit, Unit.id == SurveyResponse.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(SurveyResponse.person_id == person_id)
        .order_by(SurveyResponse.submitted_at)
    )
    found = []
    for response, kind, title, building, number in responses.all():
        answers = await session.execute(
            select(SurveyQuestion, SurveyAnswer)
            .join(SurveyAnswer, SurveyAnswer.question_id == SurveyQuestion.id)
            .where(SurveyAnswer.response_id == response.id)
            .order_by(SurveyQuestion.position)
        )
        found.append(
            {
                "survey": response.survey_id,
                "kind": str(kind),
                "title": title,
                "unit": f"{building}-{number}",
                "signed": response.signed,
                "submitted_at": export_time(response.submitted_at),
                "answers": [
                    {
                        "question": q.key or q.text,
                        "choices": [q.options[c] for c in a.choices if c < len(q.options)],
                        "rating": a.rating,
                        "text": a.text,
                    }
                    for q, a in answers.all()
                ],
            }
        )
    return {"survey_answers": found}


async def erase_survey_links(session: AsyncSession, person_id: int) -> None:
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.person_id == person_id)
        .values(person_id=None, signed=False)
    )
