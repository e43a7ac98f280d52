"""Guessing protection per gate terminal (NIST SP 800-63B §5.2.2, OWASP ASVS 5 §6.5).

After :attr:`ThrottlePolicy.max_consecutive` wrong codes in a row the terminal is
locked out for 30 s; each further lock-out that follows within an hour of the
previous one doubles, up to one hour. While locked out, *every* keypad code is
refused — a correct one too, and that refusal is logged — so the lock-out cannot
be used as an oracle. QR tokens (≥128 bits, not guessable) still work, so a
legitimate visitor with a QR is not locked out by someone else's guessing.

Issuing codes never touches this state. A correct code resets the consecutive
count, but not the rolling window count: someone holding one valid multi-use code
cannot interleave it to keep guessing.

The state is one row per gate in ``gate_throttle``, updated with relative
``UPDATE … SET n = n + 1`` statements inside the decision's transaction, so
several processes and terminals share it without lost updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, bindparam, case, insert, select, update

from access.models import GateThrottle

_t = cast(Table, GateThrottle.__table__)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_consecutive: int = 5
    base_lockout_s: int = 30
    max_lockout_s: int = 3600
    # Rolling window: this many wrong codes in window_s lock out as well.
    window_s: int = 900
    max_in_window: int = 20
    # A lock-out more than this long after the previous one ended starts over at 30 s.
    level_reset_s: int = 3600

    def lockout_seconds(self, level: int) -> int:
        return min(self.base_lockout_s * 2 ** max(level - 1, 0), self.max_lockout_s)


@dataclass(frozen=True)
class ThrottleState:
    consecutive_failures: int
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def retry_after_s(self, now: datetime) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - now).total_seconds() + 0.999))


@dataclass(frozen=True)
class Lockout:
    """A lock-out that has just begun."""

    gate_id: int
    level: int
    seconds: int
    until: datetime
    failures: int


_SEL_STATE = select(_t.c.consecutive_failures, _t.c.locked_until).where(
    _t.c.gate_id == bindparam("b_gate")
)
_RESET_CONSECUTIVE = (
    update(_t)
    .where(_t.c.gate_id == bindparam("b_gate"), _t.c.consecutive_failures > 0)
    .values(consecutive_failures=0, updated_at=bindparam("b_now"))
)


_SEL_STATE_LOCKED = _SEL_STATE.with_for_update()


def read_state(conn: Connection, gate_id: int, *, lock: bool = False) -> ThrottleState:
    row = conn.execute(_SEL_STATE_LOCKED if lock else _SEL_STATE, {"b_gate": gate_id}).first()
    if row is None:
        return ThrottleState(0, None)
    return ThrottleState(row.consecutive_failures, row.locked_until)


def _ensure_row(conn: Connection, gate_id: int) -> None:
    exists = conn.execute(select(_t.c.gate_id).where(_t.c.gate_id == gate_id)).first()
    if exists is None:
        # Gates get their row at creation; this covers rows lost to manual edits.
        with conn.begin_nested():
            conn.execute(insert(_t).values(gate_id=gate_id, consecutive_failures=0, level=0))


def record_failure(
    conn: Connection, gate_id: int, now: datetime, policy: ThrottlePolicy
) -> Lockout | None:
    """Count one wrong code; start a lock-out when a limit is reached."""
    window_open = now - timedelta(seconds=policy.window_s)
    stmt = (
        update(_t)
        .where(_t.c.gate_id == gate_id)
        .values(
            consecutive_failures=_t.c.consecutive_failures + 1,
            window_failures=case(
                (_t.c.window_start > window_open, _t.c.window_failures + 1), else_=1
            ),
            window_start=case((_t.c.window_start > window_open, _t.c.window_start), else_=now),
            updated_at=now,
        )
    )
    if conn.execute(stmt).rowcount == 0:
        _ensure_row(conn, gate_id)
        conn.execute(stmt)
    row = conn.execute(
        select(
            _t.c.consecutive_failures, _t.c.window_failures, _t.c.level, _t.c.locked_until
        ).where(_t.c.gate_id == gate_id)
    ).one()
    if row.consecutive_failures < policy.max_consecutive and (
        row.window_failures < policy.max_in_window
    ):
        return None
    previous_end = row.locked_until
    recent = previous_end is not None and (now - previous_end).total_seconds() < (
        policy.level_reset_s
    )
    level = (row.level + 1) if recent else 1
    seconds = policy.lockout_seconds(level)
    until = now + timedelta(seconds=seconds)
    failures = row.consecutive_failures
    conn.execute(
        update(_t)
        .where(_t.c.gate_id == gate_id)
        .values(
            consecutive_failures=0,
            window_failures=0,
            window_start=None,
            level=level,
            locked_until=until,
            updated_at=now,
        )
    )
    return Lockout(gate_id=gate_id, level=level, seconds=seconds, until=until, failures=failures)


def record_success(conn: Connection, gate_id: int, now: datetime) -> None:
    """A correct code ends the run of consecutive failures (not the rolling window)."""
    conn.execute(_RESET_CONSECUTIVE, {"b_gate": gate_id, "b_now": now})


def reset(conn: Connection, gate_id: int, now: datetime) -> None:
    """Staff cleared the terminal (e.g. after checking the keypad): start from zero."""
    conn.execute(
        update(_t)
        .where(_t.c.gate_id == gate_id)
        .values(
            consecutive_failures=0,
            window_failures=0,
            window_start=None,
            level=0,
            locked_until=None,
            updated_at=now,
        )
    )
