"""events: community events and sign-ups; notices in two languages and to some units

Revision ID: 0021_events
Revises: 0001_foundation
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0021_events"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("events",)
depends_on: str | Sequence[str] | None = ("0015_community",)

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("unit_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("alt_locale", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("alt_title", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("alt_body", sa.Text(), nullable=True))
    op.create_table(
        "events",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("author_person_id", PK, nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", DT, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("audience", sa.String(length=24), nullable=False),
        sa.Column("building_ids", sa.JSON(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("notice_id", PK, nullable=True),
        sa.Column("reminded_at", DT, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_events_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_person_id"],
            ["people.id"],
            name=op.f("fk_events_author_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_events_notice_id_notices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_community_starts", "events", ["community_id", "starts_at"])
    op.create_table(
        "event_signups",
        sa.Column("id", PK, nullable=False),
        sa.Column("event_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("queued_at", DT, nullable=False),
        sa.Column("promoted_at", DT, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_signups_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_event_signups_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_signups")),
        sa.UniqueConstraint(
            "event_id", "person_id", name=op.f("uq_event_signups_event_id_person_id")
        ),
    )
    op.create_index("ix_event_signups_event", "event_signups", ["event_id", "status", "queued_at"])


def downgrade() -> None:
    op.drop_index("ix_event_signups_event", table_name="event_signups")
    op.drop_table("event_signups")
    op.drop_index("ix_events_community_starts", table_name="events")
    op.drop_table("events")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("alt_body")
        batch.drop_column("alt_title")
        batch.drop_column("alt_locale")
        batch.drop_column("unit_ids")
