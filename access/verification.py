"""The decision: may this credential open this gate now?

One decision is one transaction (see :mod:`access.runner`):

1. a disabled gate, or a request for the direction the gate does not serve
   (an exit at an entry-only gate) → refused, before any credential is looked at;
2. emergency mode → granted without touching any pass (the doors are held open);
3. a keypad code while the terminal is locked out → refused ``locked_out`` (logged,
   even when the code is right — and then its host is rung in the chat, see
   :mod:`access.throttle`);
4. the credential's *resolver* (:mod:`access.resolvers`) finds what it names and
   applies the rules: for a pass its own rules and its host's residency, for an
   exit the same strictness (or a holder recorded inside), for a person their
   residency or staff role;
5. for an entry through a pass, redemption is **one conditional UPDATE**::

       UPDATE passes SET uses_count = uses_count + 1 …
        WHERE id = :id AND status = 'active' AND valid_from <= :now
          AND valid_until > :now AND (max_uses IS NULL OR uses_count < max_uses)

   The database applies it atomically, so however many terminals present the
   same single-use code at once, exactly one sees a changed row; the others are
   refused ``used``. This holds on SQLite (one writer at a time) and on
   PostgreSQL (the row lock makes the second UPDATE re-check its WHERE against
   the committed row);
6. one row is appended to the access log, granted or denied alike. A wrong code
   is metered by the gate's guess budget; a right one never changes it.

Windows are compared in UTC; a worker's daily hours are checked in the
community's time zone. The door is commanded only after the commit, so a
decision is never lost to a slow relay (:mod:`access.service`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from access.credentials import hash_code, is_code_shaped
from access.decision import (
    AccessPolicy,
    Credential,
    Decision,
    DecisionInput,
    Direction,
    DoorOutcome,
    HostRing,
    Method,
    Reason,
    Resolution,
)
from access.resolvers import (
    RESOLVERS,
    Resolver,
    direction_refused,
    entry_violation,
    pass_rule_violation,
    resolve_face,
)
from access.store import DecisionStore, PassRow
from access.store_sqlite import store_for
from access.vehicles import plate_gate as _plate_gate  # registers the PLATE resolver

_GRANT_REASON = {
    Method.CODE: Reason.OK,
    Method.QR: Reason.OK,
    Method.REMOTE: Reason.REMOTE,
    Method.STAFF: Reason.STAFF,
    Method.FACE: Reason.RESIDENT,
    Method.WALKIN: Reason.LET_IN,
    Method.CALL: Reason.LET_IN,
    Method.PLATE: Reason.VEHICLE,
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


def _locked_out(store: DecisionStore, inp: DecisionInput, retry_after_s: int) -> Decision:
    """A keypad code while the terminal is locked out: refused without evaluation.

    The pass the code names (if any) is noted for whoever investigates; when it would
    have opened, its host is rung (at most every ``ring_interval_s``), so a vandal who
    keeps the keypad locked does not keep visitors out. The terminal's answer is the
    same whatever was typed."""
    found = None
    if is_code_shaped(inp.credential.secret):
        found = store.pass_by_code(
            inp.gate.community_id, hash_code(inp.secret_key, inp.credential.secret)
        )
    ring = None
    if (
        found is not None
        and found.community_id == inp.gate.community_id
        and inp.direction == Direction.IN
        and entry_violation(store, found, inp) is None
        and not store.rung_since(found.id, inp.now - timedelta(seconds=inp.policy.ring_interval_s))
    ):
        ring = HostRing(found.id, found.host_person_id, found.host_unit_id, found.holder_name)
    log_id = _append_log(store, inp, granted=False, reason=Reason.LOCKED_OUT, pass_row=found)
    return _decision(
        inp, False, Reason.LOCKED_OUT, log_id=log_id, retry_after_s=retry_after_s, ring=ring
    )


def _refused(store: DecisionStore, inp: DecisionInput, res: Resolution) -> Decision:
    p = res.pass_row
    log_id = _append_log(
        store,
        inp,
        granted=False,
        reason=res.reason or Reason.UNKNOWN,
        pass_row=p,
        person_id=res.person_id,
        holder_name=res.holder_name,
        host_unit_id=res.host_unit_id,
    )
    lockout = (
        store.throttle_failure(inp.gate.id, inp.now, inp.policy.throttle) if res.is_guess else None
    )
    return _decision(
        inp,
        False,
        res.reason or Reason.UNKNOWN,
        log_id=log_id,
        person_id=res.person_id,
        lockout=lockout,
        retry_after_s=lockout.seconds if lockout else None,
        payment=res.payment,
        **_pass_fields(p),
    )


def decide(store: DecisionStore, inp: DecisionInput) -> Decision:
    """Run inside one transaction; see the module docstring for the steps."""
    method = inp.credential.method
    if not inp.gate.active or direction_refused(inp):
        why = Reason.GATE_DISABLED if not inp.gate.active else Reason.NOT_ALLOWED
        log_id = _append_log(store, inp, granted=False, reason=why)
        return _decision(inp, False, why, log_id=log_id)

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
        if state.locked(inp.now):
            return _locked_out(store, inp, state.retry_after_s(inp.now))

    res = RESOLVERS[method](store, inp)
    if res.reason is not None:
        return _refused(store, inp, res)

    p = res.pass_row
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
        reason = res.grant_reason or _GRANT_REASON[method]
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
    if method == Method.PLATE:
        fields["holder_name"] = res.holder_name  # the plate, then whose it is
        _plate_gate.record_passage(store, inp, res, log_id)
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
    """Append "granted, door failed" and give the use back: nobody went through (an
    exit that did not open leaves its holder inside)."""
    store = store_for(conn)
    if decision.pass_id is not None and decision.direction == Direction.IN:
        store.refund(decision.pass_id)
    elif decision.pass_id is not None:
        store.undo_exit(decision.pass_id)
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
    "HostRing",
    "Method",
    "PassRow",
    "Reason",
    "Resolution",
    "Resolver",
    "decide",
    "decide_tx",
    "record_door_failure",
    "resolve_face",
]
