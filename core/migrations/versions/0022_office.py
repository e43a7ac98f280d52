"""office: the staff on duty for each patrol route

Revision ID: 0022_office
Revises: 0001_foundation
Create Date: 2026-12-03 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0022_office"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("office",)
depends_on: str | Sequence[str] | None = "0016_patrols"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "patrol_route_guards",
        sa.Column("id", _ID, nullable=False),
        sa.Column("route_id", _ID, nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["route_id"], ["patrol_routes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("route_id", "person_id"),
    )


def downgrade() -> None:
    op.drop_table("patrol_route_guards")
