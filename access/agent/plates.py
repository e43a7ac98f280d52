"""Plates and households in the agent's replica, for the server's own plate rules.

The server's plate decision (:mod:`access.vehicles.plate_gate`) reads its tables with
plain SQL on the ``sqlite3`` connection (:mod:`access.vehicles.plate_store`); the
replica holds tables of the same names and columns, so offline the agent runs those
very functions — normalizing, the low-confidence rule, the black list first, the
resident's plate, the visitor pass's plate, the white list — rather than a copy:

- ``vehicles`` — residents' approved plates (ids, class, the residency's end date);
- ``plate_lists`` — the black and white lists;
- ``pass_plates`` — a visitor pass's plate (the pass itself is in ``passes``);
- ``vehicle_visits`` — stays the agent opened offline;
- in place of what the agent does not hold: ``people`` (a view, no names: the log
  row names the plate), ``communities`` (its id, no parking tariff) and the fee
  schedule (empty views: no monthly parking). So offline no temporary parking is
  ever due at an exit: the car is let out and its exit reported with the others
  (decision 0025).

``households`` holds, per daily-help pass, each household that still keeps it, with
its residency's end date. Plates are in clear: a plate is printed on the car, not a
secret (decision 0030); what joins it to a person is ids only.
"""

from __future__ import annotations

from typing import Any

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vehicles (id INTEGER PRIMARY KEY, community_id INTEGER "
    "NOT NULL, unit_id INTEGER NOT NULL, person_id INTEGER NOT NULL, plate TEXT NOT NULL, "
    "vehicle_class TEXT NOT NULL, status TEXT NOT NULL, until TEXT)",
    "CREATE INDEX IF NOT EXISTS ix_vehicles_plate ON vehicles (community_id, plate)",
    "CREATE TABLE IF NOT EXISTS plate_lists (community_id INTEGER NOT NULL, "
    "plate TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (community_id, plate))",
    "CREATE TABLE IF NOT EXISTS pass_plates (pass_id INTEGER PRIMARY KEY, plate TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_pass_plates ON pass_plates (plate)",
    "CREATE TABLE IF NOT EXISTS vehicle_visits (id INTEGER PRIMARY KEY, community_id "
    "INTEGER, plate TEXT, reason TEXT, person_id INTEGER, unit_id INTEGER, pass_id INTEGER, "
    "entered_at TEXT, entry_gate_id INTEGER, entry_log_id INTEGER, inside INTEGER, "
    "exited_at TEXT, exit_gate_id INTEGER, exit_log_id INTEGER, vehicle_class TEXT, "
    "paid_minor INTEGER DEFAULT 0, paid_at TEXT, pay_hash TEXT)",
    "CREATE INDEX IF NOT EXISTS ix_vehicle_visits_plate ON vehicle_visits "
    "(community_id, plate, inside)",
    "CREATE VIEW IF NOT EXISTS people AS SELECT DISTINCT person_id AS id, '' AS full_name "
    "FROM vehicles",
    "CREATE TABLE IF NOT EXISTS communities (id INTEGER PRIMARY KEY, config TEXT NOT NULL, "
    "currency TEXT NOT NULL)",
    "CREATE VIEW IF NOT EXISTS fee_items AS SELECT 0 AS id, '' AS kind, 0 AS active WHERE 0",
    "CREATE VIEW IF NOT EXISTS fee_item_targets AS "
    "SELECT 0 AS id, 0 AS unit_id, 0 AS fee_item_id WHERE 0",
    "CREATE TABLE IF NOT EXISTS households (pass_id INTEGER NOT NULL, until TEXT)",
    "CREATE INDEX IF NOT EXISTS ix_households ON households (pass_id)",
)
TABLES = ("vehicles", "plate_lists", "pass_plates", "households", "communities")


def apply_plates(raw: Any, community_id: int, body: dict[str, Any]) -> None:
    """The server's plates and households, replacing what was held (in the caller's
    transaction). Stays the agent opened and has since closed are dropped."""
    raw.execute("DELETE FROM vehicles")
    raw.execute("DELETE FROM plate_lists")
    raw.execute("DELETE FROM households")
    raw.execute("DELETE FROM communities")
    raw.execute(
        "INSERT INTO communities (id, config, currency) VALUES (?, '{}', '')", (community_id,)
    )
    raw.execute("DELETE FROM vehicle_visits WHERE inside = 0")
    plates = body.get("plates") or {}
    raw.executemany(
        "INSERT INTO vehicles (id, community_id, unit_id, person_id, plate, vehicle_class, "
        "status, until) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)",
        [
            (v["id"], community_id, v["unit_id"], v["person_id"], v["plate"],
             v["vehicle_class"], v.get("until"))
            for v in plates.get("vehicles", [])
        ],
    )  # fmt: skip
    raw.executemany(
        "INSERT OR REPLACE INTO plate_lists (community_id, plate, kind) VALUES (?, ?, ?)",
        [(community_id, e["plate"], e["kind"]) for e in plates.get("lists", [])],
    )
    raw.executemany(
        "INSERT INTO households (pass_id, until) VALUES (?, ?)",
        [(h["pass_id"], h.get("until")) for h in body.get("households", [])],
    )


def set_pass_plate(raw: Any, pass_id: int, plate: str | None) -> None:
    raw.execute("DELETE FROM pass_plates WHERE pass_id = ?", (pass_id,))
    if plate:
        raw.execute("INSERT INTO pass_plates (pass_id, plate) VALUES (?, ?)", (pass_id, plate))


def moved_out(raw: Any, person_id: int, unit_id: int, today: str) -> bool:
    """Whether a resident's plate's residency ended before ``today`` (ISO date)."""
    row = raw.execute(
        "SELECT 1 FROM vehicles WHERE person_id = ? AND unit_id = ? AND until IS NOT NULL "
        "AND until < ? LIMIT 1",
        (person_id, unit_id, today),
    ).fetchone()
    return row is not None


def household_admits(raw: Any, pass_id: int, today: str) -> bool:
    """A household still keeps the daily-help pass (mirrors the server's rule)."""
    row = raw.execute(
        "SELECT 1 FROM households WHERE pass_id = ? AND (until IS NULL OR until >= ?) LIMIT 1",
        (pass_id, today),
    ).fetchone()
    return row is not None
