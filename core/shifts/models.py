"""Shift tables: the rota and the hand-overs.

A shift's ``asked_at`` stamps the end-of-shift request for the hand-over, a
hand-over's ``alerted_at`` the alert to the managers when nobody acknowledged it
within :data:`core.shifts.service.ACK_MINUTES` — each set by a conditional UPDATE
so it happens once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, Text, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, utcnow
from core.models import Person
from core.privacy import export_time, on_person_erased, on_personal_export

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


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


@on_personal_export("shifts")
async def _export_shifts(session: AsyncSession, person_id: int) -> dict[str, Any]:
    shifts = await session.scalars(select(Shift).where(Shift.person_id == person_id))
    written = await session.scalars(select(Handover).where(Handover.from_person_id == person_id))
    return {
        "shifts": [
            {"starts_at": export_time(s.starts_at), "ends_at": export_time(s.ends_at)}
            for s in shifts.all()
        ],
        "handovers_written": [
            {
                "submitted_at": export_time(h.submitted_at),
                "open_matters": h.open_matters,
                "keys": h.keys,
                "incidents": h.incidents,
                "patrol_notes": h.patrol_notes,
            }
            for h in written.all()
        ],
    }


@on_person_erased("shifts")
async def _forget_shifts(session: AsyncSession, person_id: int) -> None:
    """The office keeps that a hand-over happened; its author's words and the
    person's rota go with the person."""
    await session.execute(
        update(Handover)
        .where(Handover.from_person_id == person_id)
        .values(open_matters="", keys="", incidents="", patrol_notes="", from_person_id=None)
    )
    await session.execute(delete(Shift).where(Shift.person_id == person_id))
