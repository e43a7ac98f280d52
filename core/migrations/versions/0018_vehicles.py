"""vehicles: residents' registered plates, black and white lists, visits, passes by plate

Revision ID: 0018_vehicles
Revises: 0001_foundation
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0018_vehicles"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("vehicles",)
depends_on: str | Sequence[str] | None = "0004_access"

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)
HELD = "status IN ('pending', 'active')"


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=False),
        sa.Column("vehicle_class", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("document_file_id", sa.String(length=255), nullable=True),
        sa.Column("document_media", sa.String(length=8), nullable=True),
        sa.Column("staff_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("decided_at", DT, nullable=True),
        sa.Column("decided_by_person_id", PK, nullable=True),
        sa.Column("ended_at", DT, nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_vehicles_plate",
        "vehicles",
        ["community_id", "plate"],
        unique=True,
        sqlite_where=sa.text(HELD),
        postgresql_where=sa.text(HELD),
    )
    op.create_index("ix_vehicles_plate", "vehicles", ["community_id", "plate"])
    op.create_index("ix_vehicles_person", "vehicles", ["person_id"])
    op.create_table(
        "plate_lists",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("created_by_person_id", PK, nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_plate_lists", "plate_lists", ["community_id", "plate"], unique=True)
    op.create_index("ix_passes_plate", "passes", ["community_id", "car_plate"])
    op.create_table(
        "vehicle_visits",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("person_id", PK, nullable=True),
        sa.Column("unit_id", PK, nullable=True),
        sa.Column("pass_id", PK, nullable=True),
        sa.Column("entered_at", DT, nullable=False),
        sa.Column("entry_gate_id", PK, nullable=True),
        sa.Column("entry_log_id", PK, nullable=True),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("exited_at", DT, nullable=True),
        sa.Column("exit_gate_id", PK, nullable=True),
        sa.Column("exit_log_id", PK, nullable=True),
        sa.Column("vehicle_class", sa.String(length=16), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", DT, nullable=True),
        sa.Column("pay_hash", sa.String(length=64), nullable=True),
        sa.Column("paid_charge_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["pass_id"], ["passes.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["entry_gate_id"], ["gates.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["exit_gate_id"], ["gates.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_vehicle_visits_plate", "vehicle_visits", ["community_id", "plate", "inside"]
    )
    op.create_index("ix_vehicle_visits_at", "vehicle_visits", ["community_id", "entered_at"])
    op.create_index("ix_vehicle_visits_pay", "vehicle_visits", ["pay_hash"])


def downgrade() -> None:
    op.drop_index("ix_vehicle_visits_pay", table_name="vehicle_visits")
    op.drop_index("ix_vehicle_visits_at", table_name="vehicle_visits")
    op.drop_index("ix_vehicle_visits_plate", table_name="vehicle_visits")
    op.drop_table("vehicle_visits")
    op.drop_index("ix_passes_plate", table_name="passes")
    op.drop_index("uq_plate_lists", table_name="plate_lists")
    op.drop_table("plate_lists")
    op.drop_index("ix_vehicles_person", table_name="vehicles")
    op.drop_index("ix_vehicles_plate", table_name="vehicles")
    op.drop_index("uq_vehicles_plate", table_name="vehicles")
    op.drop_table("vehicles")
