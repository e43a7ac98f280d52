"""The decision: may this credential open this gate now?

One decision is one transaction (see :mod:`access.runner`):

1. emergency mode → granted without touching any pass (the doors are held open);
2. a keypad code while the terminal is locked out → refused ``locked_out`` (logged,
   even when the code is right);
3. the credential's *resolver* finds what it names — a pass for a code or QR
   token, a person for a remote, staff or face opening — and applies the static
   rules: revoked, expired, not yet valid, wrong gate, outside the worker's hours;
4. for a pass, redemption is **one conditional UPDATE**::

       UPDATE passes SET uses_count = uses_count + 1 …
        WHERE id = :id AND status = 'active' AND valid_from <= :now
          AND valid_until > :now AND (max_uses IS NULL OR uses_count < max_uses)

   The database applies it atomically, so however many terminals present the
   same single-use code at once, exactly one sees a changed row; the others are
   refused ``used``. This holds on SQLite (one writer at a time) and on
   PostgreSQL (the row lock makes the second UPDATE re-check its WHERE against
   the committed row);
5. one row is appended to the access log, granted or denied alike.

Windows are compared in UTC; a worker's daily hours are checked in the
community's time zone. The door is commanded only after the commit, so a
decision is never lost to a slow relay (:mod:`access.service`).

New credential kinds plug in through :data:`RESOLVERS` (the face engine adds a
``Method.FACE`` credential carrying the matched person).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, or_, select

from access.credentials import hash_code, hash_token, is_code_shaped, is_token_shaped
from access.gates import GateInfo
from access.models import AccessLogEntry, PassStatus
from access.store import DecisionStore, PassRow, store_for
from access.throttle import Lockout, ThrottlePolicy
from core.models import Person, Residency, ResidencyStatus, Staff, StaffRole, Unit


class Method(enum.StrEnum):
    CODE = "code"
    QR = "qr"
    REMOTE = "remote"
    STAFF = "staff"
    FACE = "face"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Reason(enum.StrEnum):
    # granted
    OK = "ok"
    REMOTE = "remote"
    STAFF = "staff"
    RESIDENT = "resident"
    EMERGENCY = "emergency"
    EXIT = "exit"
    DOOR_FAILED = "door_failed"  # follow-up row: granted, but the door did not open
    # denied
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_GATE = "wrong_gate"
    OUTSIDE_HOURS = "outside_hours"
    USED = "used"
    LOCKED_OUT = "locked_out"
    GATE_DISABLED = "gate_disabled"
    NOT_ALLOWED = "not_allowed"
    RATE_LIMITED = "rate_limited"
    # denied, face (access.faces.gate)
    FACE_UNUSABLE = "face_unusable"  # no single usable face in the image
    NO_MATCH = "no_match"  # nobody enrolled is close enough
    AMBIGUOUS = "ambiguous"  # two enrolled persons about as close: refuse
    USE_CODE = "use_code"  # too many face failures at this gate: use a code or card


class DoorOutcome(enum.StrEnum):
    RELEASED = "released"
    FAILED = "failed"
    HELD_OPEN = "held_open"
    NOT_COMMANDED = "not_commanded"


@dataclass(frozen=True)
class Credential:
    """What was presented: a secret (code, QR token) or a person (remote, staff, face)."""

    method: Method
    secret: str = ""
    person_id: int | None = None
    # Set when the presenting side already knows the answer is no (the face engine
    # matched nobody): the decision logs and returns it like any other denial.
    denial: Reason | None = None

    @classmethod
    def code(cls, code: str) -> Credential:
        return cls(Method.CODE, secret=code)

    @classmethod
    def qr(cls, token: str) -> Credential:
        return cls(Method.QR, secret=token)

    @classmethod
    def person(cls, method: Method, person_id: int | None) -> Credential:
        return cls(method, person_id=person_id)

    @classmethod
    def face(cls, person_id: int | None, denial: Reason | None = None) -> Credential:
        return cls(Method.FACE, person_id=person_id, denial=denial)


@dataclass(frozen=True)
class AccessPolicy:
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    # Remote opening from the chat, per resident.
    remote_per_window: int = 6
    remote_window_s: int = 600
    staff_open_roles: tuple[StaffRole, ...] = (StaffRole.MANAGER, StaffRole.GUARD)


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: Reason
    method: Method
    direction: Direction
    gate_id: int
    community_id: int
    at: datetime
    log_id: int | None = None
    pass_id: int | None = None
    pass_kind: str | None = None
    holder_name: str = ""
    person_id: int | None = None
    host_person_id: int | None = None
    host_unit_id: int | None = None
    uses_left: int | None = None
    retry_after_s: int | None = None
    door: DoorOutcome = DoorOutcome.NOT_COMMANDED
    lockout: Lockout | None = None
    # The first entry through this pass (hosts are told about every entry).
    first_use: bool = False

    def with_door(self, door: DoorOutcome) -> Decision:
        return replace(self, door=door)


@dataclass
class Resolution:
    """What a resolver found; ``reason`` set means denied."""

    reason: Reason | None
    pass_row: PassRow | None = None
    person_id: int | None = None
    holder_name: str = ""
    host_unit_id: int | None = None
    # Counts toward the terminal's guessing protection.
    is_guess: bool = False


@dataclass(frozen=True)
class DecisionInput:
    gate: GateInfo
    credential: Credential
    direction: Direction
    terminal: str | None
    now: datetime
    secret_key: str
    policy: AccessPolicy


Resolver = Callable[[DecisionStore, DecisionInput], Resolution]

_log = cast(Table, AccessLogEntry.__table__)


def within_daily_hours(p: PassRow, now: datetime, timezone: str) -> bool:
    if p.daily_start_min is None or p.daily_end_min is None:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    if p.weekdays is not None and not (p.weekdays >> local.weekday()) & 1:
        return False
    minute = local.hour * 60 + local.minute
    return p.daily_start_min <= minute < p.daily_end_min


def pass_rule_violation(p: PassRow, inp: DecisionInput) -> Reason | None:
    """The static rules, in the order a holder would want them explained."""
    if p.status == PassStatus.REVOKED.value:
        return Reason.REVOKED
    if p.status == PassStatus.EXPIRED.value or inp.now >= p.valid_until:
        return Reason.EXPIRED
    if p.status != PassStatus.ACTIVE.value:
        return Reason.UNKNOWN
    if inp.now < p.valid_from:
        return Reason.NOT_YET_VALID
    if p.gate_ids and inp.gate.id not in p.gate_ids:
        return Reason.WRONG_GATE
    if not within_daily_hours(p, inp.now, inp.gate.timezone):
        return Reason.OUTSIDE_HOURS
    if p.max_uses is not None and p.uses_count >= p.max_uses:
        return Reason.USED
    return None


def _resolve_pass(found: PassRow | None, inp: DecisionInput, *, is_code: bool) -> Resolution:
    if found is None or found.community_id != inp.gate.community_id:
        return Resolution(Reason.UNKNOWN, is_guess=is_code)
    if inp.direction == Direction.OUT:
        # Leaving is never refused to a known holder; the exit is only recorded.
        return Resolution(
            None, pass_row=found, holder_name=found.holder_name, host_unit_id=found.host_unit_id
        )
    violation = pass_rule_violation(found, inp)
    return Resolution(
        violation, pass_row=found, holder_name=found.holder_name, host_unit_id=found.host_unit_id
    )


def resolve_code(store: DecisionStore, inp: DecisionInput) -> Resolution:
    code = inp.credential.secret
    if not is_code_shaped(code):
        return Resolution(Reason.UNKNOWN, is_guess=True)
    found = store.pass_by_code(inp.gate.community_id, hash_code(inp.secret_key, code))
    return _resolve_pass(found, inp, is_code=True)


def resolve_qr(store: DecisionStore, inp: DecisionInput) -> Resolution:
    token = inp.credential.secret
    if not is_token_shaped(token):
        return Resolution(Reason.UNKNOWN)
    return _resolve_pass(store.pass_by_token(hash_token(inp.secret_key, token)), inp, is_code=False)


def _resident_unit(conn: Connection, person_id: int, community_id: int, today: date) -> int | None:
    r = Residency.__table__
    u = Unit.__table__
    return conn.execute(
        select(r.c.unit_id)
        .join(u, u.c.id == r.c.unit_id)
        .where(
            r.c.person_id == person_id,
            r.c.status == ResidencyStatus.ACTIVE.value,
            u.c.community_id == community_id,
            or_(r.c.end_date.is_(None), r.c.end_date >= today),
        )
        .order_by(r.c.id)
        .limit(1)
    ).scalar()


def _staff_role(conn: Connection, person_id: int, community_id: int) -> StaffRole | None:
    s = Staff.__table__
    role = conn.execute(
        select(s.c.role).where(
            s.c.person_id == person_id, s.c.community_id == community_id, s.c.active.is_(True)
        )
    ).scalar()
    return StaffRole(role) if role is not None else None


def _person_name(conn: Connection, person_id: int) -> str:
    p = Person.__table__
    return conn.execute(select(p.c.full_name).where(p.c.id == person_id)).scalar() or ""


def _local_today(inp: DecisionInput) -> date:
    return inp.now.astimezone(ZoneInfo(inp.gate.timezone)).date()


def resolve_remote(store: DecisionStore, inp: DecisionInput) -> Resolution:
    conn = store.conn
    person_id = inp.credential.person_id
    if person_id is None:
        return Resolution(Reason.NOT_ALLOWED)
    unit_id = _resident_unit(conn, person_id, inp.gate.community_id, _local_today(inp))
    name = _person_name(conn, person_id)
    if unit_id is None:
        return Resolution(Reason.NOT_ALLOWED, person_id=person_id, holder_name=name)
    since = inp.now - timedelta(seconds=inp.policy.remote_window_s)
    recent = conn.execute(
        select(func.count())
        .select_from(_log)
        .where(
            _log.c.person_id == person_id,
            _log.c.method == Method.REMOTE.value,
            _log.c.granted.is_(True),
            _log.c.at > since,
        )
    ).scalar_one()
    reason = Reason.RATE_LIMITED if recent >= inp.policy.remote_per_window else None
    return Resolution(reason, person_id=person_id, holder_name=name, host_unit_id=unit_id)


def resolve_staff(store: DecisionStore, inp: DecisionInput) -> Resolution:
    conn = store.conn
    person_id = inp.credential.person_id
    if person_id is None:
        return Resolution(Reason.NOT_ALLOWED)
    role = _staff_role(conn, person_id, inp.gate.community_id)
    name = _person_name(conn, person_id)
    reason = None if role in inp.policy.staff_open_roles else Reason.NOT_ALLOWED
    return Resolution(reason, person_id=person_id, holder_name=name)


def resolve_face(store: DecisionStore, inp: DecisionInput) -> Resolution:
    conn = store.conn
    """A face the engine matched to a person: residents and staff of the community."""
    person_id = inp.credential.person_id
    if person_id is None:
        return Resolution(Reason.UNKNOWN)
    name = _person_name(conn, person_id)
    unit_id = _resident_unit(conn, person_id, inp.gate.community_id, _local_today(inp))
    if unit_id is not None or _staff_role(conn, person_id, inp.gate.community_id) is not None:
        return Resolution(None, person_id=person_id, holder_name=name, host_unit_id=unit_id)
    return Resolution(Reason.NOT_ALLOWED, person_id=person_id, holder_name=name)


RESOLVERS: dict[Method, Resolver] = {
    Method.CODE: resolve_code,
    Method.QR: resolve_qr,
    Method.REMOTE: resolve_remote,
    Method.STAFF: resolve_staff,
    Method.FACE: resolve_face,
}

_GRANT_REASON = {
    Method.CODE: Reason.OK,
    Method.QR: Reason.OK,
    Method.REMOTE: Reason.REMOTE,
    Method.STAFF: Reason.STAFF,
    Method.FACE: Reason.RESIDENT,
}


def _log_values(
    inp: DecisionInput,
    *,
    granted: bool,
    reason: Reason,
    pass_id: int | None,
    person_id: int | None,
    holder_name: str,
    host_unit_id: int | None,
    ref_id: int | None = None,
) -> dict[str, Any]:
    return {
        "at": inp.now,
        "community_id": inp.gate.community_id,
        "gate_id": inp.gate.id,
        "method": inp.credential.method.value,
        "direction": inp.direction.value,
        "granted": granted,
        "reason": reason.value,
        "pass_id": pass_id,
        "person_id": person_id,
        "holder_name": holder_name[:120],
        "host_unit_id": host_unit_id,
        "terminal": inp.terminal,
        "ref_id": ref_id,
    }


def _append_log(
    store: DecisionStore,
    inp: DecisionInput,
    *,
    granted: bool,
    reason: Reason,
    pass_row: PassRow | None = None,
    person_id: int | None = None,
    holder_name: str = "",
    host_unit_id: int | None = None,
) -> int:
    if host_unit_id is None and pass_row is not None:
        host_unit_id = pass_row.host_unit_id
    return store.insert_log(
        _log_values(
            inp,
            granted=granted,
            reason=reason,
            pass_id=pass_row.id if pass_row else None,
            person_id=person_id,
            holder_name=holder_name or (pass_row.holder_name if pass_row else ""),
            host_unit_id=host_unit_id,
        )
    )


def _decision(inp: DecisionInput, granted: bool, reason: Reason, **kwargs: Any) -> Decision:
    return Decision(
        granted=granted,
        reason=reason,
        method=inp.credential.method,
        direction=inp.direction,
        gate_id=inp.gate.id,
        community_id=inp.gate.community_id,
        at=inp.now,
        **kwargs,
    )


def _pass_fields(p: PassRow | None) -> dict[str, Any]:
    if p is None:
        return {}
    return {
        "pass_id": p.id,
        "pass_kind": p.kind,
        "holder_name": p.holder_name,
        "host_person_id": p.host_person_id,
        "host_unit_id": p.host_unit_id,
    }


def decide(store: DecisionStore, inp: DecisionInput) -> Decision:
    """Run inside one transaction; see the module docstring for the steps."""
    method = inp.credential.method
    if not inp.gate.active:
        log_id = _append_log(store, inp, granted=False, reason=Reason.GATE_DISABLED)
        return _decision(inp, False, Reason.GATE_DISABLED, log_id=log_id)

    if inp.gate.emergency:
        # Evacuation first: the doors stand open; no pass is spent, the event is logged.
        log_id = _append_log(
            store, inp, granted=True, reason=Reason.EMERGENCY, person_id=inp.credential.person_id
        )
        return _decision(inp, True, Reason.EMERGENCY, log_id=log_id, door=DoorOutcome.HELD_OPEN)

    if method == Method.CODE:
        # Concurrent codes at one terminal are judged one after another, so a 6th
        # guess cannot slip in before the 5th has locked the terminal.
        state = store.code_throttle_state(inp.gate.id, inp.now)
    else:
        state = store.throttle_state(inp.gate.id)
    if method == Method.CODE and state.locked(inp.now):
        # Refused without evaluation; the pass (if the code is right) is noted for
        # whoever investigates, but nothing is spent or revealed to the terminal.
        found = None
        if is_code_shaped(inp.credential.secret):
            found = store.pass_by_code(
                inp.gate.community_id, hash_code(inp.secret_key, inp.credential.secret)
            )
        log_id = _append_log(store, inp, granted=False, reason=Reason.LOCKED_OUT, pass_row=found)
        return _decision(
            inp,
            False,
            Reason.LOCKED_OUT,
            log_id=log_id,
            retry_after_s=state.retry_after_s(inp.now),
        )

    res = RESOLVERS[method](store, inp)
    p = res.pass_row
    if res.reason is not None:
        log_id = _append_log(
            store,
            inp,
            granted=False,
            reason=res.reason,
            pass_row=p,
            person_id=res.person_id,
            holder_name=res.holder_name,
            host_unit_id=res.host_unit_id,
        )
        lockout = (
            store.throttle_failure(inp.gate.id, inp.now, inp.policy.throttle)
            if res.is_guess
            else None
        )
        return _decision(
            inp,
            False,
            res.reason,
            log_id=log_id,
            person_id=res.person_id,
            lockout=lockout,
            retry_after_s=lockout.seconds if lockout else None,
            **_pass_fields(p),
        )

    uses_left: int | None = None
    first_use = False
    if p is not None and inp.direction == Direction.OUT:
        store.mark_exit(p.id, inp.now)
        reason = Reason.EXIT
    elif p is not None:
        if not store.redeem(p.id, inp.now):
            # Another terminal spent the last use (or staff revoked it) a moment ago.
            fresh = store.pass_by_id(p.id)
            why = pass_rule_violation(fresh, inp) or Reason.USED
            log_id = _append_log(store, inp, granted=False, reason=why, pass_row=fresh)
            return _decision(inp, False, why, log_id=log_id, **_pass_fields(fresh))
        first_use = p.uses_count == 0
        if p.max_uses is not None:
            uses_left = max(p.max_uses - p.uses_count - 1, 0)
        reason = Reason.OK
    else:
        reason = _GRANT_REASON[method]
    if method == Method.CODE and state.consecutive_failures > 0:
        store.throttle_success(inp.gate.id, inp.now)
    log_id = _append_log(
        store,
        inp,
        granted=True,
        reason=reason,
        pass_row=p,
        person_id=res.person_id,
        holder_name=res.holder_name,
        host_unit_id=res.host_unit_id,
    )
    fields = _pass_fields(p)
    fields["host_unit_id"] = res.host_unit_id or (p.host_unit_id if p else None)
    return _decision(
        inp,
        True,
        reason,
        log_id=log_id,
        person_id=res.person_id,
        uses_left=uses_left,
        first_use=first_use,
        **fields,
    )


def decide_tx(conn: Connection, inp: DecisionInput) -> Decision:
    """:func:`decide` on the runner's connection (see :mod:`access.runner`)."""
    return decide(store_for(conn), inp)


def record_door_failure(conn: Connection, inp: DecisionInput, decision: Decision) -> int:
    """Append "granted, door failed" and give the use back: nobody went through."""
    store = store_for(conn)
    if decision.pass_id is not None and decision.direction == Direction.IN:
        store.refund(decision.pass_id)
    return store.insert_log(
        _log_values(
            inp,
            granted=True,
            reason=Reason.DOOR_FAILED,
            pass_id=decision.pass_id,
            person_id=decision.person_id,
            holder_name=decision.holder_name,
            host_unit_id=decision.host_unit_id,
            ref_id=decision.log_id,
        )
    )


__all__ = [
    "RESOLVERS",
    "AccessPolicy",
    "Credential",
    "Decision",
    "DecisionInput",
    "Direction",
    "DoorOutcome",
    "Method",
    "PassRow",
    "Reason",
    "Resolution",
    "Resolver",
    "decide",
    "decide_tx",
    "record_door_failure",
]
