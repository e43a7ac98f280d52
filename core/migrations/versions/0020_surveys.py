"""surveys: questionnaires, households, answers; a vote unit's owner key

Revision ID: 0020_surveys
Revises: 0001_foundation
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from core.migration_helpers import fk

revision: str = "0020_surveys"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("surveys",)
depends_on: str | Sequence[str] | None = "0015_community"

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("created_by_person_id", PK, nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("deadline", DT, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("announced_at", DT, nullable=True),
        sa.Column("reminded_at", DT, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("closed_at", DT, nullable=True),
        fk("surveys", "community_id", "communities", "CASCADE"),
        fk("surveys", "created_by_person_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index("ix_surveys_due", "surveys", ["status", "deadline"])
    op.create_table(
        "survey_questions",
        sa.Column("id", PK, nullable=False),
        sa.Column("survey_id", PK, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        fk("survey_questions", "survey_id", "surveys", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
        sa.UniqueConstraint(
            "survey_id", "position", name=op.f("uq_survey_questions_survey_id_position")
        ),
    )
    op.create_table(
        "survey_units",
        sa.Column("survey_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        fk("survey_units", "survey_id", "surveys", "CASCADE"),
        fk("survey_units", "unit_id", "units", "CASCADE"),
        sa.PrimaryKeyConstraint("survey_id", "unit_id", name=op.f("pk_survey_units")),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", PK, nullable=False),
        sa.Column("survey_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", DT, nullable=False),
        fk("survey_responses", "survey_id", "surveys", "CASCADE"),
        fk("survey_responses", "unit_id", "units", "CASCADE"),
        fk("survey_responses", "person_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint(
            "survey_id", "unit_id", name=op.f("uq_survey_responses_survey_id_unit_id")
        ),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", PK, nullable=False),
        sa.Column("response_id", PK, nullable=False),
        sa.Column("question_id", PK, nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        fk("survey_answers", "response_id", "survey_responses", "CASCADE"),
        fk("survey_answers", "question_id", "survey_questions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "response_id", "question_id", name=op.f("uq_survey_answers_response_id_question_id")
        ),
    )
    with op.batch_alter_table("vote_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_key", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vote_units", schema=None) as batch_op:
        batch_op.drop_column("owner_key")
    op.drop_table("survey_answers")
    op.drop_table("survey_responses")
    op.drop_table("survey_units")
    op.drop_table("survey_questions")
    op.drop_index("ix_surveys_due", table_name="surveys")
    op.drop_table("surveys")
