"""send claims: each message a periodic job sends, claimed before it is sent

Revision ID: 0009_send_claims
Revises: 0001_foundation
Create Date: 2026-12-03 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0009_send_claims"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("sends",)
depends_on: str | Sequence[str] | None = None

DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "send_claims",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", DT, nullable=False),
        sa.Column("done_at", DT, nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_claims")),
    )


def downgrade() -> None:
    op.drop_table("send_claims")
