"""The vehicles' in/out log for staff: who is inside now, and the recent stays with
their dwell time (read from :class:`~access.vehicles.models.VehicleVisit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from access.vehicles.models import VehicleVisit
from core.models import Unit

#: The most rows one view shows (a busy car park's screen, not an export).
VIEW_LIMIT = 30


@dataclass(frozen=True)
class Stay:
    plate: str
    reason: str  # vehicle (a resident's), ok (a visitor pass), listed (white list)
    unit_label: str
    entered_at: datetime
    exited_at: datetime | None
    inside: bool

    def dwell(self, now: datetime) -> timedelta | None:
        """How long it stayed (or has stayed so far); None when its exit was missed."""
        if self.inside:
            return now - self.entered_at
        return self.exited_at - self.entered_at if self.exited_at is not None else None


async def _stays(session: AsyncSession, community_id: int, *, inside_only: bool) -> list[Stay]:
    query = select(VehicleVisit).where(VehicleVisit.community_id == community_id)
    if inside_only:
        query = query.where(VehicleVisit.inside.is_(True))
    rows = (
        await session.scalars(query.order_by(VehicleVisit.entered_at.desc()).limit(VIEW_LIMIT))
    ).all()
    unit_ids = {r.unit_id for r in rows if r.unit_id is not None}
    units = {
        u.id: u.label
        for u in (
            await session.scalars(
                select(Unit).where(Unit.id.in_(unit_ids)).options(selectinload(Unit.building))
            )
        ).all()
    }
    return [
        Stay(
            r.plate,
            r.reason,
            units.get(r.unit_id, "") if r.unit_id is not None else "",
            r.entered_at,
            r.exited_at,
            r.inside,
        )
        for r in rows
    ]


async def vehicles_inside(session: AsyncSession, community_id: int) -> list[Stay]:
    """Vehicles that entered and have not been seen leaving, newest first."""
    return await _stays(session, community_id, inside_only=True)


async def recent_stays(session: AsyncSession, community_id: int) -> list[Stay]:
    """The latest stays, in or out, newest first."""
    return await _stays(session, community_id, inside_only=False)
