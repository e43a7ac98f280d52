"""The sandbox's cars: the parking tariff, the first resident's approved plate (their
home has monthly parking, so it leaves free), and one plate on the black list, so the
gate pane's plate reader has something to open for and something to refuse. A
visitor's car comes from the chat: a resident invites a visitor with a plate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import Pass, PassStatus
from access.plates import VehicleClass
from access.vehicles.lists import set_listed
from access.vehicles.models import ListKind, PlateListEntry, Vehicle, VehicleStatus
from access.vehicles.registry import decide_vehicle, register_vehicle
from core.models import Community, Person, Residency
from core.units import find_unit_by_label

RESIDENT_PLATE = "沪A12345"
#: Temporary parking in the demo: 30 minutes free, then by the hour, capped per day.
TARIFF = {
    "free_min": 30,
    "hourly": {"small": 500, "large": 1000, "new_energy": 300},
    "daily_cap": {"small": 3000, "large": 6000, "new_energy": 2000},
}
BLOCKED_PLATE = "沪B99999"


async def seed_vehicles(
    session: AsyncSession, community: Community, unit_label: str, manager: Person, now: datetime
) -> None:
    community.config = {**(community.config or {}), "parking": TARIFF}
    unit = await find_unit_by_label(session, community.id, unit_label)
    assert unit is not None
    owner = await session.scalar(
        select(Residency.person_id).where(Residency.unit_id == unit.id).order_by(Residency.id)
    )
    assert owner is not None
    row = await register_vehicle(
        session,
        now=now,
        person_id=owner,
        unit_id=unit.id,
        plate=RESIDENT_PLATE,
        vehicle_class=VehicleClass.SMALL,
        document_file_id="sandbox-certificate",
        document_media="photo",
    )
    await decide_vehicle(
        session,
        now=now,
        vehicle_id=row.id,
        community_id=community.id,
        staff_person_id=manager.id,
        approve=True,
    )
    await set_listed(
        session,
        now=now,
        community_id=community.id,
        plate=BLOCKED_PLATE,
        kind=ListKind.BLOCK,
        note="",
        staff_person_id=manager.id,
    )


async def plates_to_pick(session: AsyncSession, community_id: int) -> list[str]:
    """What the plate reader offers to pick: registered, listed and visitors' plates
    (an unknown one can be typed)."""
    registered = select(Vehicle.plate).where(
        Vehicle.community_id == community_id, Vehicle.status == VehicleStatus.ACTIVE
    )
    listed = select(PlateListEntry.plate).where(PlateListEntry.community_id == community_id)
    passes = select(Pass.car_plate).where(
        Pass.community_id == community_id,
        Pass.status == PassStatus.ACTIVE,
        Pass.car_plate.is_not(None),
    )
    found: list[str] = []
    for query in (registered, passes, listed):
        for plate in (await session.scalars(query.limit(10))).all():
            if plate and plate not in found:
                found.append(plate)
    return found
