"""access: the households of a shared daily-help pass (and their invitations)

Revision ID: 0019_exits
Revises: 0001_foundation
Create Date: 2026-12-03 19:30:00

- ``pass_households``: one row per household a daily-help pass serves (the resident
  who joined, their home, whether they suspended it), and, before anyone joined, an
  invitation (a keyed hash of its single-use key and when it lapses). Decision 0031.
- Passes gain the kinds ``delivery`` and ``daily_help``; ``passes.kind`` is a plain
  string column, so no change is needed there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0019_exits"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("exits",)
depends_on: str | Sequence[str] | None = ("0004_access",)

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pass_households",
        sa.Column("id", PK, nullable=False),
        sa.Column("pass_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=True),
        sa.Column("unit_id", PK, nullable=True),
        sa.Column("invite_hash", sa.String(length=64), nullable=True),
        sa.Column("invite_expires_at", DT, nullable=True),
        sa.Column("invited_by_person_id", PK, nullable=True),
        sa.Column("joined_at", DT, nullable=True),
        sa.Column("suspended_at", DT, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["passes.id"],
            name=op.f("fk_pass_households_pass_id_passes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_pass_households_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_pass_households_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_person_id"],
            ["people.id"],
            name=op.f("fk_pass_households_invited_by_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_households")),
        sa.UniqueConstraint(
            "pass_id",
            "person_id",
            "unit_id",
            name=op.f("uq_pass_households_pass_id_person_id_unit_id"),
        ),
    )
    op.create_index("uq_pass_households_invite", "pass_households", ["invite_hash"], unique=True)
    op.create_index("ix_pass_households_person", "pass_households", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_pass_households_person", table_name="pass_households")
    op.drop_index("uq_pass_households_invite", table_name="pass_households")
    op.drop_table("pass_households")
