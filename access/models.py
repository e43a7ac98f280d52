"""The gate access module's tables: gates, passes, the throttle, the access log,
terminal events and emergency mode.

Secrets never appear here in plain text: gate API keys, pass codes, QR tokens and
share-link keys are stored as HMAC-SHA256 digests keyed by the deployment's secret
key (:mod:`access.credentials`). The access log and the gate event log are
append-only — database triggers refuse UPDATE and DELETE (migration 0004_access).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.models import Residency

from core.db import Base, BigIntPK, str_enum, utcnow
from core.lifecycle import on_residency_ended
from core.privacy import on_person_erased, on_personal_export


class GateKind(enum.StrEnum):
    PEDESTRIAN = "pedestrian"
    VEHICLE = "vehicle"


class GateDirection(enum.StrEnum):
    """Which way a gate's terminals admit people. A request for the other way is
    refused: an entry gate's key cannot be used to "exit" through it."""

    BOTH = "both"
    IN = "in"
    OUT = "out"


class DoorDriverKind(enum.StrEnum):
    SIMULATED = "simulated"
    MQTT = "mqtt"
    HTTP = "http"


class PassKind(enum.StrEnum):
    VISITOR = "visitor"
    WORKER = "worker"
    # A courier's PIN for a short window (reusable or single-use), decision 0031.
    DELIVERY = "delivery"
    # A nanny's, cleaner's or driver's recurring pass, shared by households
    # (:class:`PassHousehold`), decision 0031.
    DAILY_HELP = "daily_help"


class PassStatus(enum.StrEnum):
    PENDING = "pending"  # a worker pass waiting for staff approval
    ACTIVE = "active"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"


class WorkerCategory(enum.StrEnum):
    RENOVATION = "renovation"
    HOUSEKEEPING = "housekeeping"
    DELIVERY = "delivery"


class Gate(Base):
    __tablename__ = "gates"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[GateKind] = mapped_column(str_enum(GateKind), default=GateKind.PEDESTRIAN)
    driver: Mapped[DoorDriverKind] = mapped_column(
        str_enum(DoorDriverKind), default=DoorDriverKind.SIMULATED
    )
    # Driver settings (topic, URL, pulse length …); see access.doors for the keys.
    driver_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # HMAC of the terminal's API key; the key itself is shown once at creation.
    api_key_hash: Mapped[str] = mapped_column(String(64))
    # The same key hashed with the community's credential key (gate agents check it
    # offline without the deployment's key; access.sync.keys). None: an older key.
    offline_key_hash: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    direction: Mapped[GateDirection] = mapped_column(
        str_enum(GateDirection, 8), default=GateDirection.BOTH, server_default="both"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pass(Base):
    """A visitor or worker pass: who may enter, through which gates, and when.

    ``uses_count`` only ever moves through the conditional UPDATE in
    :mod:`access.verification`, which is what makes a single-use pass admit
    exactly one entry however many terminals try at once.
    """

    __tablename__ = "passes"
    __table_args__ = (
        Index("ix_passes_lookup_code", "community_id", "code_hash"),
        # A code identifies one active pass: the keypad sends nothing else.
        Index(
            "uq_passes_active_code",
            "code_hash",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("uq_passes_token", "token_hash", unique=True),
        Index("uq_passes_share", "share_hash", unique=True),
        Index("ix_passes_host_status", "host_person_id", "status"),
        Index("ix_passes_status_until", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    kind: Mapped[PassKind] = mapped_column(str_enum(PassKind))
    status: Mapped[PassStatus] = mapped_column(str_enum(PassStatus), default=PassStatus.ACTIVE)
    host_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    host_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    holder_name: Mapped[str] = mapped_column(String(120), default="")
    holder_phone: Mapped[str | None] = mapped_column(String(32))
    company: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[WorkerCategory | None] = mapped_column(str_enum(WorkerCategory))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    car_plate: Mapped[str | None] = mapped_column(String(20))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # Code and token hashed with the community's credential key: what gate agents
    # get (access.sync.keys). None: issued before agents had their own keys.
    offline_code_hash: Mapped[str | None] = mapped_column(String(64))
    offline_token_hash: Mapped[str | None] = mapped_column(String(64))
    # The share link carries a key that both finds the pass (share_hash) and
    # decrypts its code and QR token (share_blob); neither is readable without it.
    share_hash: Mapped[str | None] = mapped_column(String(64))
    share_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    # None: any number of entries inside the window.
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses_count: Mapped[int] = mapped_column(Integer, default=0)
    # Gate ids this pass opens; an empty list means every gate of the community.
    gate_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Worker passes: daily hours in the community's local time (minutes after
    # midnight, end exclusive) and weekdays as a bit mask (Monday = bit 0).
    daily_start_min: Mapped[int | None] = mapped_column(Integer)
    daily_end_min: Mapped[int | None] = mapped_column(Integer)
    weekdays: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(40))
    # Presence, for the overstay alert: set on entry, cleared on a recorded exit.
    inside: Mapped[bool] = mapped_column(Boolean, default=False)
    last_entry_at: Mapped[datetime | None]
    last_exit_at: Mapped[datetime | None]
    overstay_notified_at: Mapped[datetime | None]
    # The admin-group message asking staff to decide a worker pass.
    staff_message_id: Mapped[int | None] = mapped_column(Integer)


class ResidentGateKey(Base):
    """A resident's personal gate QR: opens the community's gates while they live
    there, at the server and at a gate agent that cannot reach it (decision 0025).

    Stored only hashed (with the secret key, and with the community's credential key
    for agents); showing it again replaces it; the residency's end revokes it.
    """

    __tablename__ = "resident_gate_keys"
    __table_args__ = (
        Index("uq_resident_gate_keys_token", "token_hash", unique=True),
        Index("ix_resident_gate_keys_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    offline_token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class PassHousehold(Base):
    """A household a daily-help pass serves: the resident who joined it for their home.

    A row with no person yet is an invitation: its key (shown once, stored as a keyed
    hash) is claimed by one conditional UPDATE, so it joins exactly one household. The
    pass admits an entry while at least one joined household has not suspended it and
    its resident still lives in the home (:meth:`access.store.DecisionStore.household_admits`).
    """

    __tablename__ = "pass_households"
    __table_args__ = (
        UniqueConstraint("pass_id", "person_id", "unit_id"),
        Index("uq_pass_households_invite", "invite_hash", unique=True),
        Index("ix_pass_households_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("passes.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    invite_hash: Mapped[str | None] = mapped_column(String(64))
    invite_expires_at: Mapped[datetime | None]
    invited_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    joined_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GateThrottle(Base):
    """Guessing protection, per gate terminal, shared by every process."""

    __tablename__ = "gate_throttle"

    gate_id: Mapped[int] = mapped_column(
        ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True
    )
    # Wrong codes since the last lock-out began (for the staff alert).
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The guess budget's theoretical arrival time (GCRA, see access.throttle). A
    # correct code never touches it, so valid codes cannot launder guesses.
    guess_tat: Mapped[datetime | None]
    level: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class AccessLogEntry(Base):
    """One row per decision, granted or denied (append-only).

    Foreign keys have no ON DELETE action: the log outlives nothing it names, and a
    cascade would be an UPDATE or DELETE the triggers refuse anyway.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_community_at", "community_id", "at"),
        Index("ix_access_log_gate_at", "gate_id", "at"),
        Index("ix_access_log_unit_at", "host_unit_id", "at"),
        Index("ix_access_log_pass", "pass_id"),
        Index("ix_access_log_person_method_at", "person_id", "method", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id"))
    method: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(4), default="in")
    granted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(24))
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("passes.id"))
    # Who: the resident or staff member for remote/staff/face openings.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    holder_name: Mapped[str] = mapped_column(String(120), default="")
    host_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    terminal: Mapped[str | None] = mapped_column(String(64))
    # A follow-up row ("granted, door failed") points at its decision.
    ref_id: Mapped[int | None] = mapped_column(Integer)


class GateEventType(enum.StrEnum):
    DOOR_FORCED = "door_forced"
    DOOR_HELD_OPEN = "door_held_open"
    TAMPER = "tamper"


class GateEvent(Base):
    """Alarms reported by a terminal (append-only)."""

    __tablename__ = "gate_events"
    __table_args__ = (Index("ix_gate_events_gate_at", "gate_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id"))
    type: Mapped[GateEventType] = mapped_column(str_enum(GateEventType))
    terminal: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(String(500), default="")


class Emergency(Base):
    """Emergency mode of a community: every gate held open until ended."""

    __tablename__ = "access_emergencies"
    __table_args__ = (
        Index(
            "uq_access_emergencies_open",
            "community_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ended_at: Mapped[datetime | None]
    ended_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


# Registered here, with the tables, so that any process that can end a residency
# (the bot, the CLI, a job) revokes the person's passes — worker passes included.
@on_residency_ended("passes")
async def _revoke_passes_on_move_out(session: AsyncSession, residency: Residency) -> None:
    from access.passes.holding import revoke_passes_of_residency

    await revoke_passes_of_residency(session, residency)


@on_residency_ended("gate.resident_keys")
async def _revoke_resident_keys_on_move_out(session: AsyncSession, residency: Residency) -> None:
    from access.passes.resident_key import revoke_resident_keys_of_residency

    await revoke_resident_keys_of_residency(session, residency)


@on_personal_export("access")
async def _export_passes_and_gate_records(session: AsyncSession, person_id: int) -> dict[str, Any]:
    from access.passes.own_data import personal_access_data

    return await personal_access_data(session, person_id)


# The access log is not touched: it is append-only (decision 0013).
@on_person_erased("access")
async def _blank_pass_holders_on_erasure(session: AsyncSession, person_id: int) -> None:
    from access.passes.own_data import erase_pass_holders

    await erase_pass_holders(session, person_id, now=utcnow())
