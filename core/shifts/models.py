"""Shift tables: the rota and the hand-overs.

A shift's ``asked_at`` stamps the end-of-shift request for the hand-over, a
hand-over's ``alerted_at`` the alert to the managers when nobody acknowledged it
within :data:`core.shifts.service.ACK_MINUTES` — each set by a conditional UPDATE
so it happens once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, utcnow
from core.models import Person


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_community_end", "community_id", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    asked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()


class Handover(Base):
    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_community_at", "community_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="SET NULL"))
    from_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    open_matters: Mapped[str] = mapped_column(Text, default="")
    keys: Mapped[str] = mapped_column(Text, default="")
    incidents: Mapped[str] = mapped_column(Text, default="")
    patrol_notes: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    alerted_at: Mapped[datetime | None] = mapped_column()
