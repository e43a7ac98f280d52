"""daily-help passes: renewed by their households, who are reminded before the end

Revision ID: 0024_help_renewal
Revises: 0001_foundation
Depends on: 0019_exits (daily-help passes and their households)
Create Date: 2026-12-03 23:30:00

- ``passes.renewal_notified_at``: when the households of a daily-help pass were told
  that it ends soon (claimed by the reminder job before it sends; cleared by a renewal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0024_help_renewal"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("help_renewal",)
depends_on: str | Sequence[str] | None = "0019_exits"

DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("passes", sa.Column("renewal_notified_at", DT, nullable=True))


def downgrade() -> None:
    # Not a batch operation: on SQLite that copies the table and loses its triggers.
    op.execute("ALTER TABLE passes DROP COLUMN renewal_notified_at")
