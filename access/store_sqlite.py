"""The hot statements of :class:`~access.store.DecisionStore` as plain SQL on SQLite.

On the embedded database SQLAlchemy's per-statement bookkeeping would cost more than
SQLite itself, and the gate must decide in well under a millisecond; these run on the
``sqlite3`` connection underneath the same transaction (``BEGIN IMMEDIATE``, see
:mod:`access.runner`), with the same SQL shape as the Core statements.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from access.store import LOG_FIELDS, PASS_FIELDS, RESIDING, DecisionStore, PassRow
from access.throttle import ThrottleState

_COLS = ", ".join(PASS_FIELDS)
_SQL_BY_CODE = (
    f"SELECT {_COLS} FROM passes WHERE community_id = ? AND code_hash = ? "  # noqa: S608
    "ORDER BY CASE WHEN status = 'active' THEN 0 ELSE 1 END, id DESC LIMIT 1"
)
_SQL_BY_TOKEN = f"SELECT {_COLS} FROM passes WHERE token_hash = ?"  # noqa: S608
_SQL_BY_ID = f"SELECT {_COLS} FROM passes WHERE id = ?"  # noqa: S608
_SQL_REDEEM = (
    "UPDATE passes SET uses_count = uses_count + 1, inside = 1, last_entry_at = ? "
    "WHERE id = ? AND status = 'active' AND valid_from <= ? AND valid_until > ? "
    "AND (max_uses IS NULL OR uses_count < max_uses)"
)
_SQL_EXIT = "UPDATE passes SET inside = 0, last_exit_at = ? WHERE id = ?"
_SQL_REFUND = (
    "UPDATE passes SET uses_count = uses_count - 1, inside = 0 WHERE id = ? AND uses_count > 0"
)
_SQL_LOG = (
    f"INSERT INTO access_log ({', '.join(LOG_FIELDS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in LOG_FIELDS)})"
)
_SQL_THROTTLE = "SELECT consecutive_failures, locked_until FROM gate_throttle WHERE gate_id = ?"
_SQL_HOST_RESIDES = (
    "SELECT 1 FROM residencies WHERE person_id = ? AND unit_id = ? AND status = ? "
    "AND (end_date IS NULL OR end_date >= ?) LIMIT 1"
)


def sqlite_time(value: datetime) -> str:
    """How SQLAlchemy stores our UTC datetimes in SQLite (so comparisons agree)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_pass(row: tuple[Any, ...]) -> PassRow:
    valid_from = _parse_time(row[7])
    valid_until = _parse_time(row[8])
    assert valid_from is not None and valid_until is not None
    return PassRow(
        id=row[0],
        community_id=row[1],
        kind=row[2],
        status=row[3],
        host_person_id=row[4],
        host_unit_id=row[5],
        holder_name=row[6] or "",
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=row[9],
        uses_count=row[10],
        gate_ids=list(json.loads(row[11]) if row[11] else []),
        daily_start_min=row[12],
        daily_end_min=row[13],
        weekdays=row[14],
        inside=bool(row[15]),
    )


class SqliteDecisionStore(DecisionStore):
    """The hot statements on the raw ``sqlite3`` connection, same transaction."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        # Inside the transaction SQLAlchemy began (BEGIN IMMEDIATE, see access.runner).
        self.raw: Any = conn.connection.dbapi_connection

    def code_throttle_state(self, gate_id: int, now: datetime) -> ThrottleState:
        # BEGIN IMMEDIATE already serialises every writer of the database.
        return self.throttle_state(gate_id)

    def throttle_state(self, gate_id: int) -> ThrottleState:
        row = self.raw.execute(_SQL_THROTTLE, (gate_id,)).fetchone()
        if row is None:
            return ThrottleState(0, None)
        return ThrottleState(row[0], _parse_time(row[1]))

    def host_resides(self, person_id: int, unit_id: int, today: date) -> bool:
        params = (person_id, unit_id, RESIDING, today.isoformat())
        return self.raw.execute(_SQL_HOST_RESIDES, params).fetchone() is not None

    def pass_by_code(self, community_id: int, code_hash: str) -> PassRow | None:
        row = self.raw.execute(_SQL_BY_CODE, (community_id, code_hash)).fetchone()
        return _sqlite_pass(row) if row is not None else None

    def pass_by_token(self, token_hash: str) -> PassRow | None:
        row = self.raw.execute(_SQL_BY_TOKEN, (token_hash,)).fetchone()
        return _sqlite_pass(row) if row is not None else None

    def pass_by_id(self, pass_id: int) -> PassRow:
        row = self.raw.execute(_SQL_BY_ID, (pass_id,)).fetchone()
        assert row is not None
        return _sqlite_pass(row)

    def redeem(self, pass_id: int, now: datetime) -> bool:
        t = sqlite_time(now)
        return int(self.raw.execute(_SQL_REDEEM, (t, pass_id, t, t)).rowcount) == 1

    def mark_exit(self, pass_id: int, now: datetime) -> None:
        self.raw.execute(_SQL_EXIT, (sqlite_time(now), pass_id))

    def refund(self, pass_id: int) -> None:
        self.raw.execute(_SQL_REFUND, (pass_id,))

    def insert_log(self, values: dict[str, Any]) -> int:
        params = tuple(
            sqlite_time(values["at"])
            if name == "at"
            else (int(values[name]) if name == "granted" else values.get(name))
            for name in LOG_FIELDS
        )
        cursor = self.raw.execute(_SQL_LOG, params)
        return int(cursor.lastrowid)


def store_for(conn: Connection) -> DecisionStore:
    if conn.dialect.name == "sqlite" and conn.dialect.driver == "pysqlite":
        return SqliteDecisionStore(conn)
    return DecisionStore(conn)
