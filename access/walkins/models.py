"""The walk-in and intercom tables: each call to a household, its meter, and mutes.

A call's whole life is in its row (``gate_walkins``): the terminal's poll, a
resident's answer and the expiry job of any process read and change the same row,
each change a conditional UPDATE on ``status = 'ringing'`` (decision 0029).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, str_enum, utcnow


class CallKind(enum.StrEnum):
    WALKIN = "walkin"  # registered: a visitor's name and purpose (terminal or guard)
    CALL = "call"  # the terminal's "call the unit" (intercom), nobody registered


class CallStatus(enum.StrEnum):
    RINGING = "ringing"
    LET_IN = "let_in"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"
    NO_RESIDENTS = "no_residents"
    MUTED = "muted"


class GateWalkin(Base):
    __tablename__ = "gate_walkins"
    __table_args__ = (
        Index("ix_gate_walkins_due", "status", "expires_at"),
        Index("ix_gate_walkins_gate_unit", "gate_id", "unit_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[CallKind] = mapped_column(str_enum(CallKind, 8))
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus, 16))
    terminal: Mapped[str | None] = mapped_column(String(64))
    visitor_name: Mapped[str] = mapped_column(String(120), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")
    # A guard who registered someone at the booth (None: the terminal did).
    registered_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    # The access log row of the outcome, and the door's answer on "let in".
    log_id: Mapped[int | None] = mapped_column(Integer)
    door: Mapped[str | None] = mapped_column(String(16))
    # Residents the call reached (an unreachable household is told to the guards).
    reached: Mapped[int] = mapped_column(Integer, default=0)


class GateWalkinRing(Base):
    """A ringing message a resident got: edited when the call is decided or ends."""

    __tablename__ = "gate_walkin_rings"

    call_id: Mapped[int] = mapped_column(
        ForeignKey("gate_walkins.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    photo: Mapped[bool] = mapped_column(Boolean, default=False)


class GateCallMeter(Base):
    """Calls from one gate to one unit, metered by GCRA (``access.walkins.limits``)."""

    __tablename__ = "gate_call_meter"

    gate_id: Mapped[int] = mapped_column(
        ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    tat: Mapped[datetime | None]


class UnitCallMute(Base):
    """A household that asked not to be called from the gate until ``until``."""

    __tablename__ = "gate_call_mutes"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime]
    by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
