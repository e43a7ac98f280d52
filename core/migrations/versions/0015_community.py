"""community: notices and their per-recipient deliveries; owners' votes and ballots

Revision ID: 0015_community
Revises: 0001_foundation
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0015_community"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("community",)
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("opened_by_person_id", PK, nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("matter", sa.String(length=24), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("building_ids", sa.JSON(), nullable=False),
        sa.Column("deadline", DT, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reminded_at", DT, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("closed_at", DT, nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_votes_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_person_id"],
            ["people.id"],
            name=op.f("fk_votes_opened_by_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    op.create_index("ix_votes_due", "votes", ["status", "deadline"])
    op.create_table(
        "notices",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("author_person_id", PK, nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("audience", sa.String(length=24), nullable=False),
        sa.Column("building_ids", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachment_kind", sa.String(length=16), nullable=True),
        sa.Column("attachment_file_id", sa.String(length=255), nullable=True),
        sa.Column("starts_at", DT, nullable=True),
        sa.Column("ends_at", DT, nullable=True),
        sa.Column("send_at", DT, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reminded_at", DT, nullable=True),
        sa.Column("ended_told_at", DT, nullable=True),
        sa.Column("reported_at", DT, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("vote_id", PK, nullable=True),
        sa.Column("extends_id", PK, nullable=True),
        sa.ForeignKeyConstraint(
            ["extends_id"],
            ["notices.id"],
            name=op.f("fk_notices_extends_id_notices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["votes.id"], name=op.f("fk_notices_vote_id_votes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_notices_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_person_id"],
            ["people.id"],
            name=op.f("fk_notices_author_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_community", "notices", ["community_id", "created_at"])
    op.create_table(
        "notice_deliveries",
        sa.Column("id", PK, nullable=False),
        sa.Column("notice_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=True),
        sa.Column("building_id", PK, nullable=True),
        sa.Column("phase", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("claimed_until", DT, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("sent_at", DT, nullable=True),
        sa.Column("read_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_deliveries_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_notice_deliveries_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_notice_deliveries_building_id_buildings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_deliveries")),
        sa.UniqueConstraint(
            "notice_id",
            "person_id",
            "phase",
            name=op.f("uq_notice_deliveries_notice_id_person_id_phase"),
        ),
    )
    op.create_index("ix_notice_deliveries_due", "notice_deliveries", ["status", "claimed_until"])

    op.create_table(
        "vote_units",
        sa.Column("vote_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("area_m2", sa.Numeric(10, 2), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["votes.id"], name=op.f("fk_vote_units_vote_id_votes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_vote_units_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vote_id", "unit_id", name=op.f("pk_vote_units")),
    )
    op.create_table(
        "vote_ballots",
        sa.Column("id", PK, nullable=False),
        sa.Column("vote_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("choice", sa.String(length=24), nullable=False),
        sa.Column("cast_by_person_id", PK, nullable=True),
        sa.Column("cast_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_ballots_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_vote_ballots_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cast_by_person_id"],
            ["people.id"],
            name=op.f("fk_vote_ballots_cast_by_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_ballots")),
        sa.UniqueConstraint("vote_id", "unit_id", name=op.f("uq_vote_ballots_vote_id_unit_id")),
    )


def downgrade() -> None:
    op.drop_table("vote_ballots")
    op.drop_table("vote_units")
    op.drop_index("ix_notice_deliveries_due", table_name="notice_deliveries")
    op.drop_table("notice_deliveries")
    op.drop_index("ix_notices_community", table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_votes_due", table_name="votes")
    op.drop_table("votes")
