"""Guessing protection per gate terminal (NIST SP 800-63B §5.2.2, OWASP ASVS 5 §6.5).

Wrong keypad codes are metered per gate (its authenticated terminal key) by the
generic cell rate algorithm: every wrong code moves the gate's *theoretical arrival
time* ``guess_tat`` one interval (``3600 / per_hour`` s, 12 minutes by default)
later than ``max(guess_tat, now)``. While ``guess_tat - now`` exceeds the burst
tolerance, the keypad is locked out. So a gate evaluates at most ``burst`` wrong
codes at once and ``per_hour`` an hour in the long run — ~43,800 a year whatever the
guesser does. A correct code never changes the meter: holding one valid multi-use
code and entering it between guesses buys nothing.

While locked out every keypad code is refused ``locked_out`` and logged, a correct
one too, so the lock-out is no oracle. It does not lock residents' visitors out,
though (decision 0014): a correct code entered during a lock-out rings the pass's
host in the chat, who can open the gate from there, and QR tokens (≥128 bits, not
guessable) are still judged. A vandal who keeps the keypad locked delays visitors
by one tap of their host; a guesser gains nothing.

The state is one row per gate in ``gate_throttle``. Code decisions hold that row
(``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) for their whole
transaction, so concurrent guesses are metered one after another across every
process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from access.models import GateThrottle

_t = cast(Table, GateThrottle.__table__)


@dataclass(frozen=True)
class ThrottlePolicy:
    # Wrong codes a gate evaluates per hour in the long run (the guesser's rate).
    per_hour: int = 5
    # Wrong codes in a row before the first lock-out (typos at a busy gate).
    burst: int = 5
    # A lock-out beginning this long after the previous one ended starts a new episode
    # (staff are alerted once per episode, not at every 12-minute step of a long one).
    episode_gap_s: int = 3600

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=3600 / self.per_hour)

    @property
    def tolerance(self) -> timedelta:
        return self.interval * (self.burst - 1)


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
    # 1 for the first lock-out of an episode, then 2, 3 … while the guessing goes on.
    level: int
    seconds: int
    until: datetime
    # Wrong codes since the previous lock-out began.
    failures: int

    @property
    def starts_episode(self) -> bool:
        return self.level == 1


_SEL_STATE = select(_t.c.consecutive_failures, _t.c.locked_until).where(
    _t.c.gate_id == bindparam("b_gate")
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
    """Meter one wrong code; return the lock-out it starts, if it starts one.

    The caller holds the gate's row (see the module docstring), so reading and
    writing it here cannot interleave with another decision at the same gate.
    """
    row = conn.execute(
        select(_t.c.consecutive_failures, _t.c.guess_tat, _t.c.level, _t.c.locked_until).where(
            _t.c.gate_id == gate_id
        )
    ).first()
    if row is None:
        _ensure_row(conn, gate_id)
        failures, tat, level, previous_end = 0, None, 0, None
    else:
        failures, tat, level, previous_end = row
    tat = max(tat or now, now) + policy.interval
    failures += 1
    values: dict[str, object] = {"guess_tat": tat, "consecutive_failures": failures}
    lockout = None
    if tat - now > policy.tolerance:
        until = tat - policy.tolerance
        gap = (now - previous_end).total_seconds() if previous_end is not None else None
        level = level + 1 if gap is not None and gap < policy.episode_gap_s else 1
        seconds = max(1, round((until - now).total_seconds()))
        lockout = Lockout(gate_id, level, seconds, until, failures)
        values.update(locked_until=until, level=level, consecutive_failures=0)
    conn.execute(update(_t).where(_t.c.gate_id == gate_id).values(updated_at=now, **values))
    return lockout


def reset(conn: Connection, gate_id: int, now: datetime) -> None:
    """Staff cleared the terminal (e.g. after checking the keypad): start from zero."""
    conn.execute(
        update(_t)
        .where(_t.c.gate_id == gate_id)
        .values(
            consecutive_failures=0,
            guess_tat=None,
            level=0,
            locked_until=None,
            updated_at=now,
        )
    )
