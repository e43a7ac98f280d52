"""Tables of gate agents (migration ``0013_gate_agent``).

- ``gate_agents``: an agent serves some gates of one community and authenticates with
  a key of its own (stored as a keyed hash, like a terminal's key);
- ``pass_changes``: one row per insert or update of a pass, written by a database
  trigger, so every path that issues, uses, revokes or expires a pass bumps the
  version an agent follows — no code path can forget to;
- ``agent_uploads``: the idempotency keys of decisions agents made offline: a
  decision uploaded twice is recorded once;
- ``gate_offline_policy``: how a gate's agent decides while the server is away (no
  row: the defaults).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, utcnow


class OfflineSingleUse(enum.StrEnum):
    """What an agent does offline with a single-use code or QR."""

    CONSUME = "consume"  # admit once locally; reconciled on reconnection
    REFUSE = "refuse"  # refuse offline: no double entry possible


DEFAULT_SINGLE_USE = OfflineSingleUse.CONSUME
# After this long without the server an agent admits no pass (emergency still opens).
DEFAULT_MAX_OFFLINE_MIN = 240


class GateAgent(Base):
    __tablename__ = "gate_agents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    api_key_hash: Mapped[str] = mapped_column(String(64))
    # The gates this agent serves (all of its community's gates named here).
    gate_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The generation of the agent's secret (access.sync.keys); rotating bumps it.
    secret_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync_at: Mapped[datetime | None]


class PassChange(Base):
    __tablename__ = "pass_changes"
    __table_args__ = (Index("ix_pass_changes_community_id", "community_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    pass_id: Mapped[int] = mapped_column(BigIntPK)
    community_id: Mapped[int] = mapped_column(BigIntPK)
    # A change of a resident's gate QR (pass_id 0 then; migration 0023_agent_own_keys).
    resident_key_id: Mapped[int | None] = mapped_column(BigIntPK)
    at: Mapped[datetime | None]


class AgentUpload(Base):
    __tablename__ = "agent_uploads"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("gate_agents.id", ondelete="CASCADE"))
    log_id: Mapped[int | None] = mapped_column(BigIntPK)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class GateOfflinePolicy(Base):
    __tablename__ = "gate_offline_policy"

    gate_id: Mapped[int] = mapped_column(
        ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True
    )
    single_use: Mapped[str] = mapped_column(String(8), default=DEFAULT_SINGLE_USE.value)
    max_offline_min: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_OFFLINE_MIN)
