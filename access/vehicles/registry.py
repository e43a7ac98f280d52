"""Registered vehicles: a resident asks, staff decide, a move-out ends it.

Functions take the caller's ``AsyncSession`` and write in its transaction; they raise
:class:`VehicleError` with a ``code`` and never format user text.

- :func:`register_vehicle` — the plate (:func:`access.plates.valid_plate`), the class
  (new energy is told by the plate; otherwise small or large as the resident says),
  the certificate's Telegram file id. A plate already held in the community by
  **another unit** is refused ``plate_taken``; by the same unit, ``already_registered``.
  The unique index on held plates settles a race between two residents.
- :func:`decide_vehicle` — approve or reject a pending registration, once (a
  conditional UPDATE: the second press finds nothing pending). The certificate's file
  id is cleared in the same statement: after the decision nothing of it is kept.
- :func:`end_registration` — staff end a registration (a car sold).
- :func:`end_vehicles_of_residency` — the residency hook: the plate stops opening at
  once (the gate also checks the residency itself on every decision).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from access.passes import PassError, host_unit
from access.plates import VehicleClass, plate_class, valid_plate
from access.vehicles.models import HOLDING, Vehicle, VehicleStatus
from core.db import utcnow
from core.models import Person, Residency, Unit

DOCUMENT_MEDIA = ("photo", "document")


class VehicleError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class VehicleRequest:
    vehicle: Vehicle
    person: Person | None
    unit_label: str


def vehicle_class_for(plate: str, said: VehicleClass | None) -> VehicleClass:
    """The class a plate registers with: the plate's own (new energy) or the owner's
    answer (small or large); ``bad_class`` when neither says."""
    derived = plate_class(plate)
    if derived is not None:
        return derived
    if said is None or said == VehicleClass.NEW_ENERGY:
        raise VehicleError("bad_class")
    return said


async def plate_holder(session: AsyncSession, community_id: int, plate: str) -> Vehicle | None:
    """The pending or active registration of this plate in the community, if any."""
    return await session.scalar(
        select(Vehicle).where(
            Vehicle.community_id == community_id,
            Vehicle.plate == plate,
            Vehicle.status.in_(HOLDING),
        )
    )


async def check_plate_free(
    session: AsyncSession, community_id: int, unit_id: int, plate: str
) -> None:
    """``plate_taken`` (another unit holds it) or ``already_registered`` (this one)."""
    held = await plate_holder(session, community_id, plate)
    if held is not None:
        if held.unit_id == unit_id:
            raise VehicleError("already_registered", status=held.status.value)
        raise VehicleError("plate_taken")


async def register_vehicle(
    session: AsyncSession,
    *,
    now: datetime,
    person_id: int,
    unit_id: int,
    plate: str,
    vehicle_class: VehicleClass | None,
    document_file_id: str,
    document_media: str,
) -> Vehicle:
    normalized = valid_plate(plate)
    if normalized is None:
        raise VehicleError("bad_plate")
    klass = vehicle_class_for(normalized, vehicle_class)
    if document_media not in DOCUMENT_MEDIA or not 1 <= len(document_file_id) <= 255:
        raise VehicleError("no_document")
    try:
        unit = await host_unit(session, person_id, unit_id)
    except PassError:
        raise VehicleError("not_resident") from None
    await check_plate_free(session, unit.community_id, unit.id, normalized)
    row = Vehicle(
        community_id=unit.community_id,
        unit_id=unit.id,
        person_id=person_id,
        plate=normalized,
        vehicle_class=klass,
        status=VehicleStatus.PENDING,
        document_file_id=document_file_id,
        document_media=document_media,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        # Another resident's registration of the same plate committed a moment ago.
        raise VehicleError("plate_taken") from None
    return row


async def vehicle_request(
    session: AsyncSession, vehicle_id: int, community_id: int
) -> VehicleRequest | None:
    """A registration of this community with its resident and unit (for the card)."""
    row = await session.scalar(
        select(Vehicle).where(Vehicle.id == vehicle_id, Vehicle.community_id == community_id)
    )
    if row is None:
        return None
    person = await session.get(Person, row.person_id)
    unit = await session.scalar(
        select(Unit).where(Unit.id == row.unit_id).options(selectinload(Unit.building))
    )
    return VehicleRequest(row, person, unit.label if unit is not None else "")


async def decide_vehicle(
    session: AsyncSession,
    *,
    now: datetime,
    vehicle_id: int,
    community_id: int,
    staff_person_id: int,
    approve: bool,
) -> Vehicle:
    """Approve or reject once; ``not_found`` or ``already_decided`` otherwise."""
    status = VehicleStatus.ACTIVE if approve else VehicleStatus.REJECTED
    result = await session.execute(
        update(Vehicle)
        .where(
            Vehicle.id == vehicle_id,
            Vehicle.community_id == community_id,
            Vehicle.status == VehicleStatus.PENDING,
        )
        .values(
            status=status,
            decided_at=now,
            decided_by_person_id=staff_person_id,
            document_file_id=None,
            document_media=None,
        )
        .execution_options(synchronize_session=False)
    )
    row = await session.scalar(
        select(Vehicle)
        .where(Vehicle.id == vehicle_id, Vehicle.community_id == community_id)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise VehicleError("not_found")
    if getattr(result, "rowcount", 0) != 1:
        raise VehicleError("already_decided", status=row.status.value)
    return row


async def end_registration(
    session: AsyncSession, *, now: datetime, community_id: int, plate: str
) -> Vehicle:
    """Staff end the plate's pending or approved registration (a car sold, a plate
    another home needs): ``bad_plate`` or ``not_registered`` otherwise."""
    normalized = valid_plate(plate)
    if normalized is None:
        raise VehicleError("bad_plate")
    row = await plate_holder(session, community_id, normalized)
    if row is None:
        raise VehicleError("not_registered")
    row.status = VehicleStatus.ENDED
    row.ended_at = now
    row.document_file_id = None
    row.document_media = None
    await session.flush()
    return row


async def end_vehicles_of_residency(session: AsyncSession, residency: Residency) -> None:
    await session.execute(
        update(Vehicle)
        .where(
            Vehicle.person_id == residency.person_id,
            Vehicle.unit_id == residency.unit_id,
            Vehicle.status.in_(HOLDING),
        )
        .values(
            status=VehicleStatus.ENDED,
            ended_at=utcnow(),
            document_file_id=None,
            document_media=None,
        )
        .execution_options(synchronize_session=False)
    )


async def personal_vehicles(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = (
        await session.scalars(
            select(Vehicle).where(Vehicle.person_id == person_id).order_by(Vehicle.id)
        )
    ).all()
    return [
        {
            "plate": r.plate,
            "vehicle_class": r.vehicle_class.value,
            "status": r.status.value,
            "registered_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


async def erase_vehicles(session: AsyncSession, person_id: int) -> None:
    await session.execute(delete(Vehicle).where(Vehicle.person_id == person_id))
