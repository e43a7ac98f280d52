"""gate agents: agents and their keys, the pass change counter, uploads, offline policy

Revision ID: 0013_gate_agent
Revises: 0001_foundation
Depends on: 0007_gate_direction (the access tables)
Create Date: 2026-12-03 16:10:00

A trigger on ``passes`` appends to ``pass_changes`` on every INSERT and UPDATE, so
an agent following the version sees every issue, use, revocation and expiry,
whichever code path made it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0013_gate_agent"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("gate_agent",)
depends_on: str | Sequence[str] | None = "0007_gate_direction"

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def upgrade() -> None:
    op.create_table(
        "gate_agents",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("gate_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("last_sync_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_gate_agents_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_agents")),
    )
    op.create_table(
        "pass_changes",
        sa.Column("id", PK, nullable=False),
        sa.Column("pass_id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("at", DT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_changes")),
    )
    op.create_index("ix_pass_changes_community_id", "pass_changes", ["community_id", "id"])
    op.create_table(
        "agent_uploads",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("agent_id", PK, nullable=False),
        sa.Column("log_id", PK, nullable=True),
        sa.Column("received_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["gate_agents.id"],
            name=op.f("fk_agent_uploads_agent_id_gate_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_agent_uploads")),
    )
    op.create_table(
        "gate_offline_policy",
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("single_use", sa.String(length=8), nullable=False),
        sa.Column("max_offline_min", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["gates.id"],
            name=op.f("fk_gate_offline_policy_gate_id_gates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gate_id", name=op.f("pk_gate_offline_policy")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER passes_changed_{verb.lower()} AFTER {verb} ON passes "  # noqa: S608
                "BEGIN INSERT INTO pass_changes (pass_id, community_id, at) "
                f"VALUES (NEW.id, NEW.community_id, {_SQLITE_NOW}); END"
            )
    elif dialect == "postgresql":
        op.execute(
            """CREATE OR REPLACE FUNCTION passes_changed() RETURNS trigger AS $$
            BEGIN
              INSERT INTO pass_changes (pass_id, community_id, at)
              VALUES (NEW.id, NEW.community_id, clock_timestamp());
              RETURN NULL;
            END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            "CREATE TRIGGER passes_changed AFTER INSERT OR UPDATE ON passes "
            "FOR EACH ROW EXECUTE FUNCTION passes_changed()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS passes_changed_insert")
        op.execute("DROP TRIGGER IF EXISTS passes_changed_update")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS passes_changed ON passes")
        op.execute("DROP FUNCTION IF EXISTS passes_changed()")
    op.drop_table("gate_offline_policy")
    op.drop_table("agent_uploads")
    op.drop_index("ix_pass_changes_community_id", table_name="pass_changes")
    op.drop_table("pass_changes")
    op.drop_table("gate_agents")
