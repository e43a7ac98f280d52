"""gate agents: their own keys (no deployment key on the box) and residents' gate QR

Revision ID: 0023_agent_own_keys
Revises: 0001_foundation
Depends on: 0013_gate_agent (gate agents, pass changes)
Create Date: 2026-12-03 19:20:00

- ``gates.offline_key_hash``, ``passes.offline_code_hash`` / ``offline_token_hash``:
  the same credentials hashed with the community's credential key, which is what an
  agent gets (``access.sync.keys``). Rows issued before stay NULL: such a pass is not
  recognised offline (it still is online); rotate an older gate's terminal key.
- ``gate_agents.secret_generation``: rotating an agent's secret bumps it.
- ``resident_gate_keys``: a resident's personal gate QR (hashed, like a pass's token),
  revoked when the residency ends; a trigger appends to ``pass_changes``
  (``resident_key_id``) so agents follow it by the same version.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0023_agent_own_keys"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("agent_own_keys",)
depends_on: str | Sequence[str] | None = "0013_gate_agent"

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def upgrade() -> None:
    op.add_column("gates", sa.Column("offline_key_hash", sa.String(length=64), nullable=True))
    op.add_column("passes", sa.Column("offline_code_hash", sa.String(length=64), nullable=True))
    op.add_column("passes", sa.Column("offline_token_hash", sa.String(length=64), nullable=True))
    op.add_column(
        "gate_agents",
        sa.Column("secret_generation", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("pass_changes", sa.Column("resident_key_id", PK, nullable=True))
    op.create_table(
        "resident_gate_keys",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("person_id", PK, nullable=False),
        sa.Column("unit_id", PK, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("offline_token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("revoked_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_resident_gate_keys_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_resident_gate_keys_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_resident_gate_keys_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_gate_keys")),
    )
    op.create_index(
        "uq_resident_gate_keys_token", "resident_gate_keys", ["token_hash"], unique=True
    )
    op.create_index("ix_resident_gate_keys_person", "resident_gate_keys", ["person_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER resident_keys_changed_{verb.lower()} AFTER {verb} "  # noqa: S608
                "ON resident_gate_keys BEGIN INSERT INTO pass_changes "
                "(pass_id, community_id, resident_key_id, at) "
                f"VALUES (0, NEW.community_id, NEW.id, {_SQLITE_NOW}); END"
            )
    elif dialect == "postgresql":
        op.execute(
            """CREATE OR REPLACE FUNCTION resident_keys_changed() RETURNS trigger AS $$
            BEGIN
              INSERT INTO pass_changes (pass_id, community_id, resident_key_id, at)
              VALUES (0, NEW.community_id, NEW.id, clock_timestamp());
              RETURN NULL;
            END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            "CREATE TRIGGER resident_keys_changed AFTER INSERT OR UPDATE ON resident_gate_keys "
            "FOR EACH ROW EXECUTE FUNCTION resident_keys_changed()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS resident_keys_changed_insert")
        op.execute("DROP TRIGGER IF EXISTS resident_keys_changed_update")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS resident_keys_changed ON resident_gate_keys")
        op.execute("DROP FUNCTION IF EXISTS resident_keys_changed()")
    op.drop_index("ix_resident_gate_keys_person", table_name="resident_gate_keys")
    op.drop_index("uq_resident_gate_keys_token", table_name="resident_gate_keys")
    op.drop_table("resident_gate_keys")
    op.drop_column("pass_changes", "resident_key_id")
    op.drop_column("gate_agents", "secret_generation")
    op.drop_column("passes", "offline_token_hash")
    op.drop_column("passes", "offline_code_hash")
    op.drop_column("gates", "offline_key_hash")
