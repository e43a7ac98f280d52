"""Plates in the gate's decision pipeline (``Method.PLATE``).

The gate API reads the camera's text with :func:`access.plates.valid_plate`; text that
is no plate arrives here as a denial (``plate_unreadable``) so that it is logged like
any decision. Inside the decision's transaction (:mod:`access.verification`), in order:

1. a plate at a pedestrian gate → ``wrong_gate``;
2. a read below :attr:`~access.decision.AccessPolicy.plate_min_confidence` is not
   trusted alone → ``plate_unsure`` (the terminal asks the guard or a code);
3. on the community's black list → ``blocked``, whatever else the plate holds;
4. registered by a resident and approved → granted ``vehicle`` while its registrant
   still lives in the unit (the same rule as a pass's host: a move-out ends it at once);
5. a visitor pass carrying the plate → the pass's own rules (window, gates, uses,
   host's residency), spent like a code by the one conditional UPDATE;
6. on the white list → granted ``listed``;
7. otherwise ``unknown`` (or ``revoked`` for a registration whose residency ended).

Every granted plate is also a row of the vehicle's visit (:func:`record_passage`): the
in/out log with dwell time, and who is inside now (:mod:`access.vehicles.presence`).

A plate is printed on the car, not a secret: a refused plate does not count toward the
terminal's keypad guess budget (decision 0030). The log's holder name starts with the
plate, so the access log shows which car it was.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from access.decision import DecisionInput, Direction, Method, Reason, Resolution
from access.models import GateKind
from access.resolvers import RESOLVERS, local_today, resolve_pass
from access.store import DecisionStore
from access.vehicles.models import (
    ListKind,
    PlateListEntry,
    Vehicle,
    VehicleStatus,
    VehicleVisit,
)

_vehicles = cast(Table, Vehicle.__table__)
_visits = cast(Table, VehicleVisit.__table__)
_lists = cast(Table, PlateListEntry.__table__)

_SEL_LISTED = select(_lists.c.kind).where(
    _lists.c.community_id == bindparam("b_community"), _lists.c.plate == bindparam("b_plate")
)
_SEL_VEHICLE = (
    select(_vehicles.c.person_id, _vehicles.c.unit_id)
    .where(
        _vehicles.c.community_id == bindparam("b_community"),
        _vehicles.c.plate == bindparam("b_plate"),
        _vehicles.c.status == VehicleStatus.ACTIVE.value,
    )
    .limit(1)
)


def _with_plate(plate: str, name: str) -> str:
    return f"{plate} · {name}" if name else plate


def resolve_plate(store: DecisionStore, inp: DecisionInput) -> Resolution:
    cred, gate = inp.credential, inp.gate
    plate = cred.secret
    if cred.denial is not None:
        return Resolution(cred.denial, holder_name=plate[:32])
    if gate.kind != GateKind.VEHICLE.value:
        return Resolution(Reason.WRONG_GATE, holder_name=plate)
    if cred.confidence is not None and cred.confidence < inp.policy.plate_min_confidence:
        return Resolution(Reason.PLATE_UNSURE, holder_name=plate)
    params: dict[str, Any] = {"b_community": gate.community_id, "b_plate": plate}
    listed = store.conn.execute(_SEL_LISTED, params).scalar()
    if listed == ListKind.BLOCK.value:
        return Resolution(Reason.BLOCKED, holder_name=plate)
    vehicle = store.conn.execute(_SEL_VEHICLE, params).first()
    ended = None
    if vehicle is not None:
        name = _with_plate(plate, store.person_name(vehicle.person_id))
        if store.host_resides(vehicle.person_id, vehicle.unit_id, local_today(inp)):
            return Resolution(
                None, person_id=vehicle.person_id, holder_name=name, host_unit_id=vehicle.unit_id
            )
        ended = Resolution(
            Reason.REVOKED,
            person_id=vehicle.person_id,
            holder_name=name,
            host_unit_id=vehicle.unit_id,
        )
    found = store.pass_by_plate(gate.community_id, plate, inp.now)
    if found is not None:
        res = resolve_pass(store, found, inp, is_code=False)
        res.holder_name = _with_plate(plate, found.holder_name)
        if res.reason is None or listed != ListKind.ALLOW.value:
            return res
    if listed == ListKind.ALLOW.value:
        return Resolution(None, holder_name=plate, grant_reason=Reason.LISTED)
    return ended or Resolution(Reason.UNKNOWN, holder_name=plate)


def record_passage(store: DecisionStore, inp: DecisionInput, res: Resolution, log_id: int) -> None:
    """A granted plate, in the same transaction: an entry opens the vehicle's visit
    (closing one whose exit was never seen), an exit closes it with the time."""
    community, plate, now = inp.gate.community_id, inp.credential.secret, inp.now
    open_visit = (
        (_visits.c.community_id == community) & (_visits.c.plate == plate) & _visits.c.inside
    )
    if inp.direction == Direction.OUT:
        store.conn.execute(
            update(_visits)
            .where(open_visit)
            .values(inside=False, exited_at=now, exit_gate_id=inp.gate.id, exit_log_id=log_id)
        )
        return
    store.conn.execute(update(_visits).where(open_visit).values(inside=False))
    store.conn.execute(
        insert(_visits).values(
            community_id=community,
            plate=plate,
            reason=(res.grant_reason or (Reason.OK if res.pass_row else Reason.VEHICLE)).value,
            person_id=res.person_id,
            unit_id=res.host_unit_id,
            pass_id=res.pass_row.id if res.pass_row else None,
            entered_at=now,
            entry_gate_id=inp.gate.id,
            entry_log_id=log_id,
            inside=True,
        )
    )


RESOLVERS[Method.PLATE] = resolve_plate
