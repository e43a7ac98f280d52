"""Patrol tables: checkpoints, visits, routes with their ordered stops, closed rounds.

A checkpoint's printed QR is a signed link (see :mod:`core.patrols.tokens`): the
row keeps only the random ``salt`` the signature covers, so reissuing the sheet
(a new salt) makes every old link invalid. A visit is one guard at one
checkpoint at one time (with the distance from the checkpoint when it has
coordinates). A route's schedule is in the community's local time (minutes after
midnight, ``end`` may be past midnight); each round window is closed exactly once
into a :class:`PatrolRound` row (unique per route and window start), which is what
the alerts and the reports read.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow
from core.privacy import export_time, on_person_erased, on_personal_export

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class CheckpointKind(enum.StrEnum):
    PATROL = "patrol"
    FIRE_LANE = "fire_lane"


class LaneVerdict(enum.StrEnum):
    CLEAR = "clear"
    BLOCKED = "blocked"


class Checkpoint(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    kind: Mapped[CheckpointKind] = mapped_column(
        str_enum(CheckpointKind), default=CheckpointKind.PATROL
    )
    name: Mapped[str] = mapped_column(String(80))
    place: Mapped[str] = mapped_column(String(160), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # The random value the link's signature covers; a new one voids old sheets.
    salt: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class CheckpointVisit(Base):
    __tablename__ = "checkpoint_visits"
    __table_args__ = (
        Index("ix_checkpoint_visits_checkpoint_at", "checkpoint_id", "visited_at"),
        Index("ix_checkpoint_visits_community_at", "community_id", "visited_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    # Fire lanes and exits: what the check found, and the hazard ticket it opened.
    verdict: Mapped[LaneVerdict | None] = mapped_column(str_enum(LaneVerdict, 16))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    checkpoint: Mapped[Checkpoint] = relationship()


class PatrolRoute(Base):
    __tablename__ = "patrol_routes"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    # Local minutes after midnight; end <= start means the schedule runs past midnight.
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    every_min: Mapped[int] = mapped_column(Integer)
    # A point visited this long after its window closed is late, not missed.
    grace_min: Mapped[int] = mapped_column(Integer, default=15)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stops: Mapped[list[RouteStop]] = relationship(
        order_by="RouteStop.position", cascade="all, delete-orphan"
    )


class RouteStop(Base):
    __tablename__ = "patrol_route_stops"
    __table_args__ = (UniqueConstraint("route_id", "position"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)

    checkpoint: Mapped[Checkpoint] = relationship()


class RouteGuard(Base):
    """A staff member on duty for a route's rounds (the rota says when: see
    :mod:`core.patrols.duty`)."""

    __tablename__ = "patrol_route_guards"
    __table_args__ = (UniqueConstraint("route_id", "person_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointOutcome(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"


class PatrolRound(Base):
    """One closed round window of a route: each stop's outcome, decided once."""

    __tablename__ = "patrol_rounds"
    __table_args__ = (
        UniqueConstraint("route_id", "window_start"),
        Index("ix_patrol_rounds_community_end", "community_id", "window_end"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    completed: Mapped[bool] = mapped_column(Boolean)
    # {"<checkpoint id>": "on_time" | "late" | "missed"}
    outcomes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)

    route: Mapped[PatrolRoute] = relationship()


class PatrolDailyReport(Base):
    """The daily report posted to the admin group, once per community and day."""

    __tablename__ = "patrol_daily_reports"
    __table_args__ = (UniqueConstraint("community_id", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class FireLaneReminder(Base):
    """A reminder of fire-lane checks behind schedule, once per community and stage
    of the month ("mid": none yet by the 15th; "end": fewer than required three days
    before the month ends)."""

    __tablename__ = "fire_lane_reminders"
    __table_args__ = (UniqueConstraint("community_id", "month", "stage"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    stage: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


@on_personal_export("patrols")
async def _export_visits(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(CheckpointVisit, Checkpoint.name)
        .join(Checkpoint, Checkpoint.id == CheckpointVisit.checkpoint_id)
        .where(CheckpointVisit.person_id == person_id)
        .order_by(CheckpointVisit.visited_at)
    )
    return [
        {
            "checkpoint": name,
            "visited_at": export_time(visit.visited_at),
            "latitude": visit.latitude,
            "longitude": visit.longitude,
            "distance_m": visit.distance_m,
            "photo": visit.photo_file_id is not None,
        }
        for visit, name in rows.all()
    ]


@on_person_erased("patrols")
async def _blank_visit_location(session: AsyncSession, person_id: int) -> None:
    """The office keeps that the round was walked; where the phone was and the
    photo go with the person."""
    await session.execute(
        update(CheckpointVisit)
        .where(CheckpointVisit.person_id == person_id)
        .values(latitude=None, longitude=None, photo_file_id=None, person_id=None)
    )
