"""audit: a person's Telegram @username, for finding them in the audit log

Revision ID: 0008_person_username
Revises: 0001_foundation
Create Date: 2026-12-04 10:00:00

``people.username`` is the @username the person last wrote from (None when they
have none); staff filter the audit log by it. Filled in as people write.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_person_username"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("audit",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("username", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("username")
