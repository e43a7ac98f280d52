"""faces: consent records, encrypted face templates, per-community change counter

Revision ID: 0006_faces
Revises: 0001_foundation
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db


revision: str = "0006_faces"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("faces",)
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "face_consents",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("subject_person_id", PK, nullable=False),
        sa.Column("given_by_person_id", PK, nullable=False),
        sa.Column("requested_by_person_id", PK, nullable=True),
        sa.Column("unit_id", PK, nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("minor", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=16), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("given_at", DT, nullable=False),
        sa.Column("ended_at", DT, nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_face_consents_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"],
            ["people.id"],
            name=op.f("fk_face_consents_subject_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["given_by_person_id"],
            ["people.id"],
            name=op.f("fk_face_consents_given_by_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_person_id"],
            ["people.id"],
            name=op.f("fk_face_consents_requested_by_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_face_consents_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_consents")),
    )
    op.create_index(
        "ix_face_consents_subject", "face_consents", ["subject_person_id", "community_id"]
    )
    op.create_table(
        "face_templates",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=False),
        sa.Column("consent_id", PK, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("enrollment", sa.String(length=32), nullable=True),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("enrolled_by_person_id", PK, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_face_templates_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_face_templates_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["face_consents.id"],
            name=op.f("fk_face_templates_consent_id_face_consents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_person_id"],
            ["people.id"],
            name=op.f("fk_face_templates_enrolled_by_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_templates")),
    )
    op.create_index(
        "ix_face_templates_community_status", "face_templates", ["community_id", "status"]
    )
    op.create_index("ix_face_templates_person", "face_templates", ["person_id", "community_id"])
    op.create_index("ix_face_templates_enrollment", "face_templates", ["enrollment"])
    op.create_table(
        "face_index_versions",
        sa.Column("community_id", PK, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_face_index_versions_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_face_index_versions")),
    )


def downgrade() -> None:
    op.drop_table("face_index_versions")
    op.drop_index("ix_face_templates_enrollment", table_name="face_templates")
    op.drop_index("ix_face_templates_person", table_name="face_templates")
    op.drop_index("ix_face_templates_community_status", table_name="face_templates")
    op.drop_table("face_templates")
    op.drop_index("ix_face_consents_subject", table_name="face_consents")
    op.drop_table("face_consents")
