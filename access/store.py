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

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, case, insert, or_, select, update

from access.models import (
    AccessLogEntry,
    GateThrottle,
    Pass,
    PassHousehold,
    PassStatus,
    ResidentGateKey,
)
from access.throttle import Lockout, ThrottlePolicy, ThrottleState, read_state, record_failure
from core.models import Person, Residency, ResidencyStatus, Staff, StaffRole, Unit
from core.residency import active_residency_clause

_passes = cast(Table, Pass.__table__)
_log = cast(Table, AccessLogEntry.__table__)
_residencies = cast(Table, Residency.__table__)
_units = cast(Table, Unit.__table__)
_staff = cast(Table, Staff.__table__)
_people = cast(Table, Person.__table__)
_resident_keys = cast(Table, ResidentGateKey.__table__)
_households = cast(Table, PassHousehold.__table__)
ACTIVE = PassStatus.ACTIVE.value
RESIDING = ResidencyStatus.ACTIVE.value


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
    # An entry through this pass with no exit after it.
    inside: bool = False


@dataclass(frozen=True)
class ResidentKeyRow:
    """A resident's personal gate QR (:class:`access.models.ResidentGateKey`)."""

    id: int
    community_id: int
    person_id: int
    unit_id: int
    holder_name: str
    revoked: bool


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
    "inside",
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
# A car at a vehicle gate: the pass for its plate open now, else the newest (its reason).
_SEL_BY_PLATE = (
    select(*_PASS_COLUMNS)
    .where(
        _passes.c.community_id == bindparam("b_community"),
        _passes.c.car_plate == bindparam("b_plate"),
    )
    .order_by(
        case(
            (
                (_passes.c.status == ACTIVE)
                & (_passes.c.valid_from <= bindparam("b_now"))
                & (_passes.c.valid_until > bindparam("b_now")),
                0,
            ),
            else_=1,
        ),
        _passes.c.id.desc(),
    )
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
# The exit door did not open: the holder is still inside (the overstay alert and
# "who is inside" must keep them).
_UNDO_EXIT = update(_passes).where(_passes.c.id == bindparam("b_id")).values(inside=True)
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
        inside=bool(row.inside),
    )


def _residing(today: Any) -> Any:
    """The one rule of "lives here today" (core.residency), on the Core table."""
    return active_residency_clause(cast(date, today), residency=_residencies.c)


_HOST_RESIDES = (
    select(_residencies.c.id)
    .where(
        _residencies.c.person_id == bindparam("b_person"),
        _residencies.c.unit_id == bindparam("b_unit"),
        _residing(bindparam("b_today")),
    )
    .limit(1)
)
# A shared daily-help pass admits while one household keeps it: joined, not
# suspended, its resident still living in the home (decision 0031).
_HOUSEHOLD_ADMITS = (
    select(_households.c.id)
    .join(
        _residencies,
        (_residencies.c.person_id == _households.c.person_id)
        & (_residencies.c.unit_id == _households.c.unit_id),
    )
    .where(
        _households.c.pass_id == bindparam("b_pass"),
        _households.c.suspended_at.is_(None),
        _residing(bindparam("b_today")),
    )
    .limit(1)
)
_RESIDENT_UNIT = (
    select(_residencies.c.unit_id)
    .join(_units, _units.c.id == _residencies.c.unit_id)
    .where(
        _residencies.c.person_id == bindparam("b_person"),
        _units.c.community_id == bindparam("b_community"),
        _residing(bindparam("b_today")),
    )
    .order_by(_residencies.c.id)
    .limit(1)
)
_STAFF_ROLE = select(_staff.c.role).where(
    _staff.c.person_id == bindparam("b_person"),
    _staff.c.community_id == bindparam("b_community"),
    _staff.c.active.is_(True),
)
_SEL_RESIDENT_KEY = (
    select(_resident_keys, _people.c.full_name)
    .join(_people, _people.c.id == _resident_keys.c.person_id)
    .where(_resident_keys.c.token_hash == bindparam("b_hash"))
)
_PERSON_NAME = select(_people.c.full_name).where(_people.c.id == bindparam("b_person"))
_RECENT_RING = (
    select(_log.c.id)
    .where(
        _log.c.pass_id == bindparam("b_pass"),
        _log.c.reason == "locked_out",
        _log.c.at > bindparam("b_since"),
    )
    .limit(1)
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

    def host_resides(self, person_id: int, unit_id: int, today: date) -> bool:
        """Whether the person lives in the unit today: the right behind a pass."""
        params = {"b_person": person_id, "b_unit": unit_id, "b_today": today}
        return self.conn.execute(_HOST_RESIDES, params).first() is not None

    def household_admits(self, pass_id: int, today: date) -> bool:
        """Whether a household still keeps this daily-help pass (not all suspended or
        moved out)."""
        params = {"b_pass": pass_id, "b_today": today}
        return self.conn.execute(_HOUSEHOLD_ADMITS, params).first() is not None

    def resident_unit(self, person_id: int, community_id: int, today: date) -> int | None:
        """A unit of the community the person lives in today (the oldest), or None."""
        params = {"b_person": person_id, "b_community": community_id, "b_today": today}
        return self.conn.execute(_RESIDENT_UNIT, params).scalar()

    def staff_role(self, person_id: int, community_id: int) -> StaffRole | None:
        params = {"b_person": person_id, "b_community": community_id}
        role = self.conn.execute(_STAFF_ROLE, params).scalar()
        return StaffRole(role) if role is not None else None

    def resident_key_by_token(self, token_hash: str) -> ResidentKeyRow | None:
        row = self.conn.execute(_SEL_RESIDENT_KEY, {"b_hash": token_hash}).first()
        if row is None:
            return None
        return ResidentKeyRow(
            row.id, row.community_id, row.person_id, row.unit_id, row.full_name or "",
            row.revoked_at is not None,
        )  # fmt: skip

    def person_name(self, person_id: int) -> str:
        return self.conn.execute(_PERSON_NAME, {"b_person": person_id}).scalar() or ""

    def rung_since(self, pass_id: int, since: datetime) -> bool:
        """Whether a locked-out entry of this pass's code was logged since ``since``."""
        params = {"b_pass": pass_id, "b_since": since}
        return self.conn.execute(_RECENT_RING, params).first() is not None

    def pass_by_code(self, community_id: int, code_hash: str) -> PassRow | None:
        """The active pass with this code, else the newest inactive one (for its reason)."""
        row = self.conn.execute(
            _SEL_BY_CODE, {"b_community": community_id, "b_hash": code_hash}
        ).first()
        return _pass_row(row) if row is not None else None

    def pass_by_plate(self, community_id: int, plate: str, now: datetime) -> PassRow | None:
        """The pass carrying this plate that is open now, else the newest one."""
        params = {"b_community": community_id, "b_plate": plate, "b_now": now}
        row = self.conn.execute(_SEL_BY_PLATE, params).first()
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

    def undo_exit(self, pass_id: int) -> None:
        self.conn.execute(_UNDO_EXIT, {"b_id": pass_id})

    def insert_log(self, values: dict[str, Any]) -> int:
        pk = self.conn.execute(_INSERT_LOG, values).inserted_primary_key
        assert pk is not None
        return int(pk[0])
