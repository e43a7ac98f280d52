"""Surveys, their questions, the households entitled to answer, and the answers.

One :class:`SurveyResponse` per survey and unit (a unique row inserted with ON
CONFLICT DO NOTHING: two residents of a household answering at once, the first
counts); its :class:`SurveyAnswer` rows are written in the same transaction. The
person who answered is kept for their /privacy export and for a signed free-text
answer; erasure drops the link and the signature, the answers stay counted
(docs/decisions/0032-surveys.md).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, str_enum, utcnow
from core.privacy import on_person_erased, on_personal_export


class SurveyKind(enum.StrEnum):
    YEARLY = "yearly"  # the yearly property-service survey (the template)
    CUSTOM = "custom"


class SurveyStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    RATING = "rating"  # 1–5
    TEXT = "text"


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_due", "status", "deadline"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind))
    title: Mapped[str] = mapped_column(String(120))
    deadline: Mapped[datetime]
    status: Mapped[SurveyStatus] = mapped_column(str_enum(SurveyStatus))
    announced_at: Mapped[datetime | None]  # every household's residents were told
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class SurveyQuestion(Base):
    """A question; a template's question has a ``key`` (its words are translated
    for each reader), a custom one its ``text`` and ``options`` as staff wrote them."""

    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    key: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[list[str]] = mapped_column(JSON, default=list)


class SurveyUnit(Base):
    """A household entitled to answer: a unit with a resident when the survey opened."""

    __tablename__ = "survey_units"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )


class SurveyResponse(Base):
    """A household's answer: one per survey and unit, the first submitted counts."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "unit_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    # None after the person's erasure: the answers stay counted, the link goes.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The resident chose to sign their free-text answers with their name.
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime]


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    # Option indexes (single: one; multi: one or more), a rating 1–5, or the text.
    choices: Mapped[list[int]] = mapped_column(JSON, default=list)
    rating: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)


@on_personal_export("surveys")
async def _export(session: AsyncSession, person_id: int) -> dict[str, Any]:
    from core.surveys.own_data import personal_survey_data

    return await personal_survey_data(session, person_id)


@on_person_erased("surveys")
async def _erase(session: AsyncSession, person_id: int) -> None:
    from core.surveys.own_data import erase_survey_links

    await erase_survey_links(session, person_id)
