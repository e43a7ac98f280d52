"""Plates and daily-help households in an agent's feed (:mod:`access.sync.feed`).

Sent whole with every answer (they are small and change without a pass changing), so
a change reaches the agent within the sync interval:

- ``plates`` — only for an agent with a vehicle gate: the community's approved
  residents' plates (person, unit, class, and the residency's end date so an agent
  offline past a move-out refuses the plate) and its black and white lists. Visitor
  passes carry their own plate (``car_plate`` in the pass body).
- ``households`` — the daily-help passes' households that still admit: joined, not
  suspended, their resident living in the home (with the residency's end date);
  the agent mirrors :meth:`access.store.DecisionStore.household_admits` on them.

Names are not sent: the agent's log rows name the plate, the server knows whose it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from access.models import GateKind, Pass, PassHousehold
from access.vehicles.models import PlateListEntry, Vehicle, VehicleStatus
from core.models import Residency
from core.residency import active_residency_clause

_vehicles = cast(Table, Vehicle.__table__)
_lists = cast(Table, PlateListEntry.__table__)
_households = cast(Table, PassHousehold.__table__)
_passes = cast(Table, Pass.__table__)
_residencies = cast(Table, Residency.__table__)


def _living(now: datetime, person: Any, unit: Any) -> Any:
    return (
        (_residencies.c.person_id == person)
        & (_residencies.c.unit_id == unit)
        & active_residency_clause(now.date(), residency=_residencies.c)
    )


def plate_feed(
    conn: Connection, community_id: int, gates: list[dict[str, Any]], now: datetime
) -> dict[str, Any] | None:
    """The community's plates, or None when none of the agent's gates is a vehicle gate."""
    if not any(g["kind"] == GateKind.VEHICLE.value for g in gates):
        return None
    rows = conn.execute(
        select(
            _vehicles.c.id,
            _vehicles.c.person_id,
            _vehicles.c.unit_id,
            _vehicles.c.plate,
            _vehicles.c.vehicle_class,
            _residencies.c.end_date,
        )
        .join(_residencies, _living(now, _vehicles.c.person_id, _vehicles.c.unit_id))
        .where(
            _vehicles.c.community_id == community_id,
            _vehicles.c.status == VehicleStatus.ACTIVE.value,
        )
    )
    vehicles: dict[int, dict[str, Any]] = {}
    for r in rows:
        vehicles[r.id] = {
            "id": r.id,
            "person_id": r.person_id,
            "unit_id": r.unit_id,
            "plate": r.plate,
            "vehicle_class": str(r.vehicle_class),
            "until": r.end_date.isoformat() if r.end_date else None,
        }
    lists = conn.execute(
        select(_lists.c.plate, _lists.c.kind).where(_lists.c.community_id == community_id)
    )
    return {
        "vehicles": list(vehicles.values()),
        "lists": [{"plate": r.plate, "kind": str(r.kind)} for r in lists],
    }


def households_feed(conn: Connection, community_id: int, now: datetime) -> list[dict[str, Any]]:
    """The households still keeping one of the community's daily-help passes."""
    rows = conn.execute(
        select(_households.c.pass_id, _residencies.c.end_date)
        .join(_passes, _passes.c.id == _households.c.pass_id)
        .join(_residencies, _living(now, _households.c.person_id, _households.c.unit_id))
        .where(_passes.c.community_id == community_id, _households.c.suspended_at.is_(None))
    )
    return [
        {"pass_id": r.pass_id, "until": r.end_date.isoformat() if r.end_date else None}
        for r in rows
    ]
