"""Each community's black and white lists of plates (staff commands, audited by the
caller): a blocked plate never opens a vehicle gate, whatever it holds; an allowed one
opens them without a registration or a pass (the refuse lorry, the ambulance base).
A plate is on one list at most: putting it on the other moves it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.plates import valid_plate
from access.vehicles.models import ListKind, PlateListEntry
from access.vehicles.registry import VehicleError

NOTE_MAX_LEN = 120


async def set_listed(
    session: AsyncSession,
    *,
    now: datetime,
    community_id: int,
    plate: str,
    kind: ListKind,
    note: str,
    staff_person_id: int | None,
) -> PlateListEntry:
    """Put the plate on the list (``bad_plate`` when it is none); returns the entry."""
    normalized = valid_plate(plate)
    if normalized is None:
        raise VehicleError("bad_plate")
    note = " ".join(note.split())[:NOTE_MAX_LEN]
    row = await session.scalar(
        select(PlateListEntry).where(
            PlateListEntry.community_id == community_id, PlateListEntry.plate == normalized
        )
    )
    if row is None:
        row = PlateListEntry(community_id=community_id, plate=normalized)
        session.add(row)
    row.kind = kind
    row.note = note
    row.created_at = now
    row.created_by_person_id = staff_person_id
    await session.flush()
    return row


async def unlist(session: AsyncSession, *, community_id: int, plate: str) -> str:
    """Take the plate off whichever list holds it; returns the plate, or raises
    ``bad_plate`` / ``not_listed``."""
    normalized = valid_plate(plate)
    if normalized is None:
        raise VehicleError("bad_plate")
    result = await session.execute(
        delete(PlateListEntry).where(
            PlateListEntry.community_id == community_id, PlateListEntry.plate == normalized
        )
    )
    if getattr(result, "rowcount", 0) != 1:
        raise VehicleError("not_listed")
    return normalized


async def listed_plates(session: AsyncSession, community_id: int) -> list[PlateListEntry]:
    return list(
        (
            await session.scalars(
                select(PlateListEntry)
                .where(PlateListEntry.community_id == community_id)
                .order_by(PlateListEntry.kind, PlateListEntry.plate)
            )
        ).all()
    )
