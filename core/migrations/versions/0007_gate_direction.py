"""access: a gate's direction; the keypad's guess budget as one theoretical time

Revision ID: 0007_gate_direction
Revises: 0004_access
Create Date: 2026-12-03 13:00:00

- ``gates.direction``: ``both`` (default, as before), ``in`` or ``out``. A request
  for the other direction is refused, so a terminal key of an entry gate cannot be
  used to "exit" through it.
- ``gate_throttle.guess_tat`` replaces the rolling-window pair
  (``window_start``, ``window_failures``): wrong codes are metered by the generic
  cell rate algorithm (see ``access.throttle``); a correct code never changes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0007_gate_direction"
down_revision: str | Sequence[str] | None = "0004_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("gates") as batch:
        batch.add_column(
            sa.Column("direction", sa.String(length=8), nullable=False, server_default="both")
        )
    with op.batch_alter_table("gate_throttle") as batch:
        batch.add_column(sa.Column("guess_tat", DT, nullable=True))
        batch.drop_column("window_start")
        batch.drop_column("window_failures")


def downgrade() -> None:
    with op.batch_alter_table("gate_throttle") as batch:
        batch.add_column(
            sa.Column("window_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("window_start", DT, nullable=True))
        batch.drop_column("guess_tat")
    with op.batch_alter_table("gates") as batch:
        batch.drop_column("direction")
