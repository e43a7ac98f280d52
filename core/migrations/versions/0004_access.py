"""access: gates, passes, throttle, access log, gate events, emergency mode

Revision ID: 0004_access
Revises: 0001_foundation
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from core.migration_helpers import drop_append_only, make_append_only


revision: str = "0004_access"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("access",)
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gates",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("driver", sa.String(length=24), nullable=False),
        sa.Column("driver_config", sa.JSON(), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_gates_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gates")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_gates_community_id_name")),
    )
    op.create_table(
        "passes",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("host_person_id", PK, nullable=False),
        sa.Column("host_unit_id", PK, nullable=False),
        sa.Column("holder_name", sa.String(length=120), nullable=False),
        sa.Column("holder_phone", sa.String(length=32), nullable=True),
        sa.Column("company", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("car_plate", sa.String(length=20), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("share_hash", sa.String(length=64), nullable=True),
        sa.Column("share_blob", sa.LargeBinary(), nullable=True),
        sa.Column("valid_from", DT, nullable=False),
        sa.Column("valid_until", DT, nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses_count", sa.Integer(), nullable=False),
        sa.Column("gate_ids", sa.JSON(), nullable=False),
        sa.Column("daily_start_min", sa.Integer(), nullable=True),
        sa.Column("daily_end_min", sa.Integer(), nullable=True),
        sa.Column("weekdays", sa.Integer(), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("decided_at", DT, nullable=True),
        sa.Column("decided_by_person_id", PK, nullable=True),
        sa.Column("revoked_at", DT, nullable=True),
        sa.Column("revoked_by_person_id", PK, nullable=True),
        sa.Column("revoke_reason", sa.String(length=40), nullable=True),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("last_entry_at", DT, nullable=True),
        sa.Column("last_exit_at", DT, nullable=True),
        sa.Column("overstay_notified_at", DT, nullable=True),
        sa.Column("staff_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_passes_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_person_id"],
            ["people.id"],
            name=op.f("fk_passes_host_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_unit_id"],
            ["units.id"],
            name=op.f("fk_passes_host_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_person_id"],
            ["people.id"],
            name=op.f("fk_passes_decided_by_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_person_id"],
            ["people.id"],
            name=op.f("fk_passes_revoked_by_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passes")),
    )
    op.create_index("ix_passes_lookup_code", "passes", ["community_id", "code_hash"])
    op.create_index(
        "uq_passes_active_code",
        "passes",
        ["code_hash"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index("uq_passes_token", "passes", ["token_hash"], unique=True)
    op.create_index("uq_passes_share", "passes", ["share_hash"], unique=True)
    op.create_index("ix_passes_host_status", "passes", ["host_person_id", "status"])
    op.create_index("ix_passes_status_until", "passes", ["status", "valid_until"])

    op.create_table(
        "gate_throttle",
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("window_start", DT, nullable=True),
        sa.Column("window_failures", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("locked_until", DT, nullable=True),
        sa.Column("updated_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["gates.id"],
            name=op.f("fk_gate_throttle_gate_id_gates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gate_id", name=op.f("pk_gate_throttle")),
    )

    op.create_table(
        "access_log",
        sa.Column("id", PK, nullable=False),
        sa.Column("at", DT, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("gate_id", PK, nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("pass_id", PK, nullable=True),
        sa.Column("person_id", PK, nullable=True),
        sa.Column("holder_name", sa.String(length=120), nullable=False),
        sa.Column("host_unit_id", PK, nullable=True),
        sa.Column("terminal", sa.String(length=64), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_access_log_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"], ["gates.id"], name=op.f("fk_access_log_gate_id_gates")
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["passes.id"], name=op.f("fk_access_log_pass_id_passes")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_access_log_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["host_unit_id"], ["units.id"], name=op.f("fk_access_log_host_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_community_at", "access_log", ["community_id", "at"])
    op.create_index("ix_access_log_gate_at", "access_log", ["gate_id", "at"])
    op.create_index("ix_access_log_unit_at", "access_log", ["host_unit_id", "at"])
    op.create_index("ix_access_log_pass", "access_log", ["pass_id"])
    op.create_index("ix_access_log_person_method_at", "access_log", ["person_id", "method", "at"])
    make_append_only("access_log")

    op.create_table(
        "gate_events",
        sa.Column("id", PK, nullable=False),
        sa.Column("at", DT, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("terminal", sa.String(length=64), nullable=True),
        sa.Column("details", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_gate_events_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"], ["gates.id"], name=op.f("fk_gate_events_gate_id_gates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_events")),
    )
    op.create_index("ix_gate_events_gate_at", "gate_events", ["gate_id", "at"])
    make_append_only("gate_events")

    op.create_table(
        "access_emergencies",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("started_at", DT, nullable=False),
        sa.Column("started_by_person_id", PK, nullable=True),
        sa.Column("ended_at", DT, nullable=True),
        sa.Column("ended_by_person_id", PK, nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_access_emergencies_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_person_id"],
            ["people.id"],
            name=op.f("fk_access_emergencies_started_by_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_person_id"],
            ["people.id"],
            name=op.f("fk_access_emergencies_ended_by_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_emergencies")),
    )
    op.create_index(
        "uq_access_emergencies_open",
        "access_emergencies",
        ["community_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_access_emergencies_open", table_name="access_emergencies")
    op.drop_table("access_emergencies")
    drop_append_only("gate_events")
    op.drop_index("ix_gate_events_gate_at", table_name="gate_events")
    op.drop_table("gate_events")
    drop_append_only("access_log")
    for name in (
        "ix_access_log_person_method_at",
        "ix_access_log_pass",
        "ix_access_log_unit_at",
        "ix_access_log_gate_at",
        "ix_access_log_community_at",
    ):
        op.drop_index(name, table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("gate_throttle")
    for name in (
        "ix_passes_status_until",
        "ix_passes_host_status",
        "uq_passes_share",
        "uq_passes_token",
        "uq_passes_active_code",
        "ix_passes_lookup_code",
    ):
        op.drop_index(name, table_name="passes")
    op.drop_table("passes")
    op.drop_table("gates")
