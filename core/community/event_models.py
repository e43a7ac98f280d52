"""Community events (社区活动) and the residents' sign-ups.

An :class:`Event` is announced to its audience as a notice (kind EVENT, its
``notice_id``); a resident's :class:`EventSignup` holds the number of people
coming and whether they have a place or wait for one. The places taken are the
sum of the GOING sign-ups, counted with the event row locked
(docs/decisions/0033-community-events.md).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.community.models import Audience
from core.db import Base, BigIntPK, str_enum, utcnow
from core.privacy import on_person_erased, on_personal_export


class SignupStatus(enum.StrEnum):
    GOING = "going"
    WAITLIST = "waitlist"
    CANCELLED = "cancelled"


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_community_starts", "community_id", "starts_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    capacity: Mapped[int]
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience))
    building_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None]  # every attendee's reminder was handled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventSignup(Base):
    __tablename__ = "event_signups"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_event_signups_event", "event_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # None after the person's erasure: the place stays counted, the link goes.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    seats: Mapped[int]
    status: Mapped[SignupStatus] = mapped_column(str_enum(SignupStatus))
    queued_at: Mapped[datetime]  # the waitlist's order: the time of (re-)signing up
    promoted_at: Mapped[datetime | None]  # moved from the waitlist to a place
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@on_personal_export("events")
async def _export(session: AsyncSession, person_id: int) -> dict[str, Any]:
    from core.community.event_lists import personal_events

    return {"event_signups": await personal_events(session, person_id)}


@on_person_erased("events")
async def _erase(session: AsyncSession, person_id: int) -> None:
    from sqlalchemy import update

    await session.execute(
        update(EventSignup).where(EventSignup.person_id == person_id).values(person_id=None)
    )
