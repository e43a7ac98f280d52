"""The statements of a plate decision, on the decision's connection.

As in :mod:`access.store_sqlite`: on SQLite they run as plain SQL on the ``sqlite3``
connection underneath the same transaction (SQLAlchemy's per-statement bookkeeping
would cost more than SQLite itself); on PostgreSQL, as Core statements built once.
Same SQL shape on both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from access.store import DecisionStore
from access.store_sqlite import sqlite_time
from access.vehicles.models import PlateListEntry, Vehicle, VehicleStatus, VehicleVisit
from core.fees.models import FeeItem, FeeItemTarget, FeeKind
from core.models import Community, Person

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
    select(
        _vehicles.c.person_id,
        _vehicles.c.unit_id,
        _people.c.full_name,
        _vehicles.c.vehicle_class,
    )
    .join(_people, _people.c.id == _vehicles.c.person_id)
    .where(
        _vehicles.c.community_id == bindparam("c"),
        _vehicles.c.plate == bindparam("p"),
        _vehicles.c.status == ACTIVE,
    )
    .limit(1)
)
_SQL_VEHICLE = (
    "SELECT v.person_id, v.unit_id, p.full_name, v.vehicle_class FROM vehicles v "
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
    "vehicle_class",
    "paid_minor",
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


def registered(
    store: DecisionStore, community_id: int, plate: str
) -> tuple[int, int, str, str] | None:
    """The approved registration of the plate: (person, unit, their name, the class)."""
    params = {"c": community_id, "p": plate}
    raw = _raw(store)
    row = (
        raw.execute(_SQL_VEHICLE, params).fetchone()
        if raw is not None
        else store.conn.execute(_SEL_VEHICLE, params).first()
    )
    if row is None:
        return None
    return int(row[0]), int(row[1]), row[2] or "", str(row[3])


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
            {
                **values,
                "entered_at": sqlite_time(values["entered_at"]),
                "inside": 1,
                "paid_minor": 0,
            },
        )
    else:
        store.conn.execute(_MISSED, key)
        store.conn.execute(_INSERT, {**values, "inside": True, "paid_minor": 0})


# --- temporary parking at the exit (access.vehicles.parking) ---------------------------

_SEL_STAY = (
    select(
        _visits.c.id,
        _visits.c.entered_at,
        _visits.c.paid_minor,
        _visits.c.paid_at,
        _visits.c.vehicle_class,
        _visits.c.pay_hash,
    )
    .where(_OPEN)
    .order_by(_visits.c.id.desc())
    .limit(1)
)
_SQL_STAY = (
    "SELECT id, entered_at, paid_minor, paid_at, vehicle_class, pay_hash FROM vehicle_visits "
    "WHERE community_id = :c AND plate = :p AND inside = 1 ORDER BY id DESC LIMIT 1"
)
_communities = cast(Table, Community.__table__)
_SEL_PARKING = select(_communities.c.config, _communities.c.currency).where(
    _communities.c.id == bindparam("c")
)
_SQL_PARKING = "SELECT config, currency FROM communities WHERE id = :c"
_items = cast(Table, FeeItem.__table__)
_targets = cast(Table, FeeItemTarget.__table__)
_SEL_MONTHLY = (
    select(_targets.c.id)
    .join(_items, _items.c.id == _targets.c.fee_item_id)
    .where(
        _targets.c.unit_id == bindparam("u"),
        _items.c.kind == FeeKind.PARKING.value,
        _items.c.active.is_(True),
    )
    .limit(1)
)
_SQL_MONTHLY = (
    "SELECT t.id FROM fee_item_targets t JOIN fee_items i ON i.id = t.fee_item_id "
    "WHERE t.unit_id = :u AND i.kind = 'parking' AND i.active = 1 LIMIT 1"
)
_SET_PAY = update(_visits).where(_visits.c.id == bindparam("v")).values(pay_hash=bindparam("h"))
_SQL_SET_PAY = "UPDATE vehicle_visits SET pay_hash = :h WHERE id = :v"


@dataclass(frozen=True)
class OpenStay:
    id: int
    entered_at: datetime
    paid_minor: int
    paid_at: datetime | None
    vehicle_class: str
    pay_hash: str | None


def _utc(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def open_stay(store: DecisionStore, community_id: int, plate: str) -> OpenStay | None:
    params = {"c": community_id, "p": plate}
    raw = _raw(store)
    row = (
        raw.execute(_SQL_STAY, params).fetchone()
        if raw is not None
        else store.conn.execute(_SEL_STAY, params).first()
    )
    if row is None:
        return None
    entered = _utc(row[1])
    assert entered is not None
    return OpenStay(int(row[0]), entered, int(row[2]), _utc(row[3]), str(row[4]), row[5])


def community_parking(store: DecisionStore, community_id: int) -> tuple[dict[str, Any], str]:
    """The community's config (its parking tariff) and currency."""
    raw = _raw(store)
    if raw is not None:
        config, currency = raw.execute(_SQL_PARKING, {"c": community_id}).fetchone()
        return (json.loads(config) if config else {}), str(currency)
    row = store.conn.execute(_SEL_PARKING, {"c": community_id}).one()
    return dict(row[0] or {}), str(row[1])


def has_monthly_parking(store: DecisionStore, unit_id: int) -> bool:
    """Whether the unit pays monthly parking (a parking item of the fee schedule)."""
    raw = _raw(store)
    if raw is not None:
        return raw.execute(_SQL_MONTHLY, {"u": unit_id}).fetchone() is not None
    return store.conn.execute(_SEL_MONTHLY, {"u": unit_id}).first() is not None


def set_pay_hash(store: DecisionStore, stay_id: int, pay_hash: str) -> None:
    raw = _raw(store)
    if raw is not None:
        raw.execute(_SQL_SET_PAY, {"v": stay_id, "h": pay_hash})
    else:
        store.conn.execute(_SET_PAY, {"v": stay_id, "h": pay_hash})
