"""walkins: calls from the gate to a household (walk-ins, intercom), their meter, mutes

Revision ID: 0017_walkins
Revises: 0001_foundation
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from core.migration_helpers import fk

revision: str = "0017_walkins"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("walkins",)
depends_on: str | Sequence[str] | None = "0004_access"

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gate_walkins",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("terminal", sa.String(length=64), nullable=True),
        sa.Column("visitor_name", sa.String(length=120), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("registered_by_person_id", PK, nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("expires_at", DT, nullable=False),
        sa.Column("decided_at", DT, nullable=True),
        sa.Column("decided_by_person_id", PK, nullable=True),
        sa.Column("log_id", sa.Integer(), nullable=True),
        sa.Column("door", sa.String(length=16), nullable=True),
        sa.Column("reached", sa.Integer(), nullable=False),
        fk("gate_walkins", "community_id", "communities", "CASCADE"),
        fk("gate_walkins", "gate_id", "gates", "CASCADE"),
        fk("gate_walkins", "unit_id", "units", "CASCADE"),
        fk("gate_walkins", "registered_by_person_id", "people", "SET NULL"),
        fk("gate_walkins", "decided_by_person_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_walkins")),
    )
    op.create_index("ix_gate_walkins_due", "gate_walkins", ["status", "expires_at"])
    op.create_index(
        "ix_gate_walkins_gate_unit", "gate_walkins", ["gate_id", "unit_id", "created_at"]
    )
    op.create_table(
        "gate_walkin_rings",
        sa.Column("call_id", PK, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("person_id", PK, nullable=False),
        sa.Column("photo", sa.Boolean(), nullable=False),
        fk("gate_walkin_rings", "call_id", "gate_walkins", "CASCADE"),
        fk("gate_walkin_rings", "person_id", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("call_id", "chat_id", name=op.f("pk_gate_walkin_rings")),
    )
    op.create_table(
        "gate_call_meter",
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("tat", DT, nullable=True),
        fk("gate_call_meter", "gate_id", "gates", "CASCADE"),
        fk("gate_call_meter", "unit_id", "units", "CASCADE"),
        sa.PrimaryKeyConstraint("gate_id", "unit_id", name=op.f("pk_gate_call_meter")),
    )
    op.create_table(
        "gate_call_mutes",
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("until", DT, nullable=False),
        sa.Column("by_person_id", PK, nullable=True),
        fk("gate_call_mutes", "unit_id", "units", "CASCADE"),
        fk("gate_call_mutes", "by_person_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_gate_call_mutes")),
    )


def downgrade() -> None:
    op.drop_table("gate_call_mutes")
    op.drop_table("gate_call_meter")
    op.drop_table("gate_walkin_rings")
    op.drop_index("ix_gate_walkins_gate_unit", table_name="gate_walkins")
    op.drop_index("ix_gate_walkins_due", table_name="gate_walkins")
    op.drop_table("gate_walkins")
