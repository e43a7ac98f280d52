"""delivery: the ids of handled Telegram updates (each handled once)

Revision ID: 0007_delivery
Revises: 0001_foundation
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0007_delivery"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("delivery",)
depends_on: str | Sequence[str] | None = None

DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", DT, nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_updates")),
    )
    op.create_index("ix_handled_updates_at", "handled_updates", ["handled_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_handled_updates_at", table_name="handled_updates")
    op.drop_table("handled_updates")
