"""faces: look-alike pairs found at enrollment, liveness per gate, challenges

Revision ID: 0014_faces_guard
Revises: 0001_foundation
Create Date: 2026-12-03 16:20:00

- ``face_lookalikes``: two people of one community whose face templates are nearer
  than the look-alike guard distance; face alone opens for neither of them.
- ``face_gate_liveness``: a gate's liveness policy (no row: ``challenge``), its
  liveness-capable terminals, who chose it.
- ``face_challenges``: single-use random actions handed to gate terminals.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0014_faces_guard"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("faces2",)
depends_on: str | Sequence[str] | None = ("0006_faces", "0004_access")

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "face_lookalikes",
        sa.Column("id", PK, nullable=False),
        sa.Column("community_id", PK, nullable=False),
        sa.Column("person_a_id", PK, nullable=False),
        sa.Column("person_b_id", PK, nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_face_lookalikes_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_a_id"],
            ["people.id"],
            name=op.f("fk_face_lookalikes_person_a_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_b_id"],
            ["people.id"],
            name=op.f("fk_face_lookalikes_person_b_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_lookalikes")),
        sa.UniqueConstraint(
            "community_id",
            "person_a_id",
            "person_b_id",
            name=op.f("uq_face_lookalikes_community_id_person_a_id_person_b_id"),
        ),
    )
    op.create_index("ix_face_lookalikes_b", "face_lookalikes", ["person_b_id", "community_id"])
    op.create_table(
        "face_gate_liveness",
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("capable_terminals", sa.JSON(), nullable=False),
        sa.Column("chosen_by", sa.String(length=120), nullable=False),
        sa.Column("chosen_at", DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["gates.id"],
            name=op.f("fk_face_gate_liveness_gate_id_gates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gate_id", name=op.f("pk_face_gate_liveness")),
    )
    op.create_table(
        "face_challenges",
        sa.Column("id", PK, nullable=False),
        sa.Column("gate_id", PK, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("issued_at", DT, nullable=False),
        sa.Column("expires_at", DT, nullable=False),
        sa.Column("used_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["gates.id"],
            name=op.f("fk_face_challenges_gate_id_gates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_challenges")),
    )
    op.create_index("ix_face_challenges_token", "face_challenges", ["token_hash"], unique=True)
    op.create_index("ix_face_challenges_expires", "face_challenges", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_face_challenges_expires", table_name="face_challenges")
    op.drop_index("ix_face_challenges_token", table_name="face_challenges")
    op.drop_table("face_challenges")
    op.drop_table("face_gate_liveness")
    op.drop_index("ix_face_lookalikes_b", table_name="face_lookalikes")
    op.drop_table("face_lookalikes")
