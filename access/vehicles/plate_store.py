"""The statements of a plate decision, on the decision's connection.

As in :mod:`access.store_sqlite`: on SQLite they run as plain SQL on the ``sqlite3``
connection underneath the same transaction (SQLAlchemy's per-statement bookkeeping
would cost more than SQLite itself); on PostgreSQL, as Core statements built once.
Same SQL shape on both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from access.store import DecisionStore
from access.store_sqlite import sqlite_time
from access.vehicles.models import PlateListEntry, Vehicle, VehicleStatus, VehicleVisit
from core.models import Person

_vehicles = cast(Table, Vehicle.__table__)
_lists = cast(Table, PlateListEntry.__table__)
_visits = cast(Table, VehicleVisit.__table__)
_people = cast(Table, Person.__table__)
ACTIVE = VehicleStatus.ACTIVE.value

_SEL_LISTED = select(_lists.c.kind).where(
    _lists.c.community_id == bindparam("c"), _lists.c.plate == bindparam("p")
)
_SQL_LISTED = "SELECT kind FROM plate_lists WHERE community_id = :c AND plate = :p"
_SEL_VEHICLE = (
    select(_vehicles.c.person_id, _vehicles.c.unit_id, _people.c.full_name)
    .join(_people, _people.c.id == _vehicles.c.person_id)
    .where(
        _vehicles.c.community_id == bindparam("c"),
        _vehicles.c.plate == bindparam("p"),
        _vehicles.c.status == ACTIVE,
    )
    .limit(1)
)
_SQL_VEHICLE = (
    "SELECT v.person_id, v.unit_id, p.full_name FROM vehicles v "
    "JOIN people p ON p.id = v.person_id "
    "WHERE v.community_id = :c AND v.plate = :p AND v.status = 'active' LIMIT 1"
)
_OPEN = (
    (_visits.c.community_id == bindparam("c"))
    & (_visits.c.plate == bindparam("p"))
    & _visits.c.inside.is_(True)
)
_CLOSE = (
    update(_visits)
    .where(_OPEN)
    .values(
        inside=False,
        exited_at=bindparam("now"),
        exit_gate_id=bindparam("gate"),
        exit_log_id=bindparam("log"),
    )
)
_SQL_CLOSE = (
    "UPDATE vehicle_visits SET inside = 0, exited_at = :now, exit_gate_id = :gate, "
    "exit_log_id = :log WHERE community_id = :c AND plate = :p AND inside = 1"
)
_MISSED = update(_visits).where(_OPEN).values(inside=False)
_SQL_MISSED = (
    "UPDATE vehicle_visits SET inside = 0 WHERE community_id = :c AND plate = :p AND inside = 1"
)
_VISIT_FIELDS = (
    "community_id",
    "plate",
    "reason",
    "person_id",
    "unit_id",
    "pass_id",
    "entered_at",
    "entry_gate_id",
    "entry_log_id",
    "inside",
)
_INSERT = insert(_visits)
_SQL_INSERT = (
    f"INSERT INTO vehicle_visits ({', '.join(_VISIT_FIELDS)}) "  # noqa: S608
    f"VALUES ({', '.join(':' + f for f in _VISIT_FIELDS)})"
)


def _raw(store: DecisionStore) -> Any:
    """The ``sqlite3`` connection under the transaction, or None (PostgreSQL)."""
    return getattr(store, "raw", None)


def listed_kind(store: DecisionStore, community_id: int, plate: str) -> str | None:
    params = {"c": community_id, "p": plate}
    raw = _raw(store)
    if raw is not None:
        row = raw.execute(_SQL_LISTED, params).fetchone()
        return str(row[0]) if row is not None else None
    return store.conn.execute(_SEL_LISTED, params).scalar()


def registered(store: DecisionStore, community_id: int, plate: str) -> tuple[int, int, str] | None:
    """The approved registration of the plate: (person, unit, the person's name)."""
    params = {"c": community_id, "p": plate}
    raw = _raw(store)
    row = (
        raw.execute(_SQL_VEHICLE, params).fetchone()
        if raw is not None
        else store.conn.execute(_SEL_VEHICLE, params).first()
    )
    return (int(row[0]), int(row[1]), row[2] or "") if row is not None else None


def close_visit(
    store: DecisionStore, community_id: int, plate: str, now: datetime, gate_id: int, log_id: int
) -> None:
    params: dict[str, Any] = {"c": community_id, "p": plate, "gate": gate_id, "log": log_id}
    raw = _raw(store)
    if raw is not None:
        raw.execute(_SQL_CLOSE, {**params, "now": sqlite_time(now)})
    else:
        store.conn.execute(_CLOSE, {**params, "now": now})


def open_visit(store: DecisionStore, values: dict[str, Any]) -> None:
    """Close the plate's visit whose exit was never seen, then open this one."""
    key = {"c": values["community_id"], "p": values["plate"]}
    raw = _raw(store)
    if raw is not None:
        raw.execute(_SQL_MISSED, key)
        raw.execute(
            _SQL_INSERT,
            {**values, "entered_at": sqlite_time(values["entered_at"]), "inside": 1},
        )
    else:
        store.conn.execute(_MISSED, key)
        store.conn.execute(_INSERT, {**values, "inside": True})
