"""The few statements a decision runs, behind one small class.

:class:`DecisionStore` uses SQLAlchemy Core with statements built once (their
compiled SQL is cached), and serves PostgreSQL. :class:`SqliteDecisionStore`
runs the same statements as plain SQL on the ``sqlite3`` connection underneath
the same transaction: on the embedded database, SQLAlchemy's per-statement
bookkeeping would otherwise cost more than SQLite itself, and the gate must
decide in well under a millisecond.

Both are exercised by the whole suite (SQLite run, PostgreSQL run), and both
keep the same SQL shape — in particular the one conditional UPDATE of
:meth:`redeem`, on which "a single-use code admits exactly one entry" rests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, case, insert, or_, select, update

from access.models import AccessLogEntry, GateThrottle, Pass, PassStatus
from access.throttle import (
    Lockout,
    ThrottlePolicy,
    ThrottleState,
    read_state,
    record_failure,
    record_success,
)

_passes = cast(Table, Pass.__table__)
_log = cast(Table, AccessLogEntry.__table__)
ACTIVE = PassStatus.ACTIVE.value


@dataclass(frozen=True)
class PassRow:
    id: int
    community_id: int
    kind: str
    status: str
    host_person_id: int
    host_unit_id: int
    holder_name: str
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None
    uses_count: int
    gate_ids: list[int]
    daily_start_min: int | None
    daily_end_min: int | None
    weekdays: int | None


PASS_FIELDS = (
    "id",
    "community_id",
    "kind",
    "status",
    "host_person_id",
    "host_unit_id",
    "holder_name",
    "valid_from",
    "valid_until",
    "max_uses",
    "uses_count",
    "gate_ids",
    "daily_start_min",
    "daily_end_min",
    "weekdays",
)
LOG_FIELDS = (
    "at",
    "community_id",
    "gate_id",
    "method",
    "direction",
    "granted",
    "reason",
    "pass_id",
    "person_id",
    "holder_name",
    "host_unit_id",
    "terminal",
    "ref_id",
)

_PASS_COLUMNS = tuple(_passes.c[name] for name in PASS_FIELDS)

_SEL_BY_CODE = (
    select(*_PASS_COLUMNS)
    .where(
        _passes.c.community_id == bindparam("b_community"),
        _passes.c.code_hash == bindparam("b_hash"),
    )
    .order_by(case((_passes.c.status == ACTIVE, 0), else_=1), _passes.c.id.desc())
    .limit(1)
)
_SEL_BY_TOKEN = select(*_PASS_COLUMNS).where(_passes.c.token_hash == bindparam("b_hash"))
_SEL_BY_ID = select(*_PASS_COLUMNS).where(_passes.c.id == bindparam("b_id"))
_REDEEM = (
    update(_passes)
    .where(
        _passes.c.id == bindparam("b_id"),
        _passes.c.status == ACTIVE,
        _passes.c.valid_from <= bindparam("b_now"),
        _passes.c.valid_until > bindparam("b_now"),
        or_(_passes.c.max_uses.is_(None), _passes.c.uses_count < _passes.c.max_uses),
    )
    .values(uses_count=_passes.c.uses_count + 1, inside=True, last_entry_at=bindparam("b_now"))
)
_EXIT = (
    update(_passes)
    .where(_passes.c.id == bindparam("b_id"))
    .values(inside=False, last_exit_at=bindparam("b_now"))
)
_REFUND = (
    update(_passes)
    .where(_passes.c.id == bindparam("b_id"), _passes.c.uses_count > 0)
    .values(uses_count=_passes.c.uses_count - 1, inside=False)
)
_INSERT_LOG = insert(_log)
_throttle = cast(Table, GateThrottle.__table__)
_SEL_STATE_SKIP = (
    select(_throttle.c.consecutive_failures, _throttle.c.locked_until)
    .where(_throttle.c.gate_id == bindparam("b_gate"))
    .with_for_update(skip_locked=True)
)


def _pass_row(row: Any) -> PassRow:
    return PassRow(
        id=row.id,
        community_id=row.community_id,
        kind=str(row.kind),
        status=str(row.status),
        host_person_id=row.host_person_id,
        host_unit_id=row.host_unit_id,
        holder_name=row.holder_name or "",
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        max_uses=row.max_uses,
        uses_count=row.uses_count,
        gate_ids=list(row.gate_ids or []),
        daily_start_min=row.daily_start_min,
        daily_end_min=row.daily_end_min,
        weekdays=row.weekdays,
    )


class DecisionStore:
    """SQLAlchemy Core on the decision's connection (any backend)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def throttle_state(self, gate_id: int) -> ThrottleState:
        return read_state(self.conn, gate_id)

    def code_throttle_state(self, gate_id: int, now: datetime) -> ThrottleState:
        """The terminal's state, its row held until commit unless it is locked out.

        Uncontended, one round trip takes the row lock. When another decision at
        the same terminal holds it, a locked-out terminal is answered at once (no
        counting happens while locked out, so no lock is needed) and otherwise we
        wait our turn.
        """
        row = self.conn.execute(_SEL_STATE_SKIP, {"b_gate": gate_id}).first()
        if row is not None:
            return ThrottleState(row.consecutive_failures, row.locked_until)
        state = read_state(self.conn, gate_id)
        if state.locked(now):
            return state
        return read_state(self.conn, gate_id, lock=True)

    def throttle_failure(
        self, gate_id: int, now: datetime, policy: ThrottlePolicy
    ) -> Lockout | None:
        return record_failure(self.conn, gate_id, now, policy)

    def throttle_success(self, gate_id: int, now: datetime) -> None:
        record_success(self.conn, gate_id, now)

    def pass_by_code(self, community_id: int, code_hash: str) -> PassRow | None:
        """The active pass with this code, else the newest inactive one (for its reason)."""
        row = self.conn.execute(
            _SEL_BY_CODE, {"b_community": community_id, "b_hash": code_hash}
        ).first()
        return _pass_row(row) if row is not None else None

    def pass_by_token(self, token_hash: str) -> PassRow | None:
        row = self.conn.execute(_SEL_BY_TOKEN, {"b_hash": token_hash}).first()
        return _pass_row(row) if row is not None else None

    def pass_by_id(self, pass_id: int) -> PassRow:
        return _pass_row(self.conn.execute(_SEL_BY_ID, {"b_id": pass_id}).one())

    def redeem(self, pass_id: int, now: datetime) -> bool:
        """The one atomic conditional UPDATE that spends a use."""
        return self.conn.execute(_REDEEM, {"b_id": pass_id, "b_now": now}).rowcount == 1

    def mark_exit(self, pass_id: int, now: datetime) -> None:
        self.conn.execute(_EXIT, {"b_id": pass_id, "b_now": now})

    def refund(self, pass_id: int) -> None:
        self.conn.execute(_REFUND, {"b_id": pass_id})

    def insert_log(self, values: dict[str, Any]) -> int:
        pk = self.conn.execute(_INSERT_LOG, values).inserted_primary_key
        assert pk is not None
        return int(pk[0])


# --- SQLite: the same statements as plain SQL ------------------------------------------

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
_SQL_THROTTLE_OK = (
    "UPDATE gate_throttle SET consecutive_failures = 0, updated_at = ? "
    "WHERE gate_id = ? AND consecutive_failures > 0"
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

    def throttle_success(self, gate_id: int, now: datetime) -> None:
        self.raw.execute(_SQL_THROTTLE_OK, (sqlite_time(now), gate_id))

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
