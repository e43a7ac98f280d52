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

An exit the rules allow is then held for temporary parking (:func:`charge_exit`,
``payment_due`` with the amount and a pay code) unless the stay is free: the white list,
or a resident's car whose home pays monthly parking (a parking item of the fee schedule).

Every granted plate is also a row of the vehicle's visit (:func:`record_passage`): the
in/out log with dwell time, and who is inside now (:mod:`access.vehicles.presence`).

A plate is printed on the car, not a secret: a refused plate does not count toward the
terminal's keypad guess budget (decision 0030). The log's holder name starts with the
plate, so the access log shows which car it was.
"""

from __future__ import annotations

import logging

from access.credentials import hash_code
from access.decision import DecisionInput, Direction, Method, PaymentDue, Reason, Resolution
from access.models import GateKind
from access.plates import VehicleClass, plate_class
from access.resolvers import RESOLVERS, local_today, resolve_pass
from access.store import DecisionStore
from access.vehicles.models import ListKind
from access.vehicles.parking_codes import EXIT_GRACE, pay_code
from access.vehicles.plate_store import (
    close_visit,
    community_parking,
    has_monthly_parking,
    listed_kind,
    open_stay,
    open_visit,
    registered,
    set_pay_hash,
)
from access.vehicles.tariff import ParkingTariff, TariffError, stay_due

log = logging.getLogger(__name__)


def _with_plate(plate: str, name: str) -> str:
    return f"{plate} · {name}" if name else plate


def resolve_plate(store: DecisionStore, inp: DecisionInput) -> Resolution:
    res, free = _resolve(store, inp)
    if res.reason is None and inp.direction == Direction.OUT and not free:
        return charge_exit(store, inp, res)
    return res


def _resolve(store: DecisionStore, inp: DecisionInput) -> tuple[Resolution, bool]:
    """Who the plate is and may it pass (steps 1–7), and whether its stay is free of
    temporary parking (the white list; a resident's car whose home pays monthly
    parking)."""
    cred, gate = inp.credential, inp.gate
    plate = cred.secret
    if cred.denial is not None:
        return Resolution(cred.denial, holder_name=plate[:32]), True
    if gate.kind != GateKind.VEHICLE.value:
        return Resolution(Reason.WRONG_GATE, holder_name=plate), True
    if cred.confidence is not None and cred.confidence < inp.policy.plate_min_confidence:
        return Resolution(Reason.PLATE_UNSURE, holder_name=plate), True
    listed = listed_kind(store, gate.community_id, plate)
    if listed == ListKind.BLOCK.value:
        return Resolution(Reason.BLOCKED, holder_name=plate), True
    vehicle = registered(store, gate.community_id, plate)
    ended = None
    if vehicle is not None:
        person_id, unit_id, name, klass = vehicle
        mine = Resolution(
            None,
            person_id=person_id,
            holder_name=_with_plate(plate, name),
            host_unit_id=unit_id,
            vehicle_class=klass,
        )
        if store.host_resides(person_id, unit_id, local_today(inp)):
            monthly = inp.direction == Direction.IN or has_monthly_parking(store, unit_id)
            return mine, monthly
        mine.reason = Reason.REVOKED
        ended = mine
    found = store.pass_by_plate(gate.community_id, plate, inp.now)
    if found is not None:
        res = resolve_pass(store, found, inp, is_code=False)
        res.holder_name = _with_plate(plate, found.holder_name)
        if res.reason is None or listed != ListKind.ALLOW.value:
            return res, False
    if listed == ListKind.ALLOW.value:
        return Resolution(None, holder_name=plate, grant_reason=Reason.LISTED), True
    return ended or Resolution(Reason.UNKNOWN, holder_name=plate), True


def charge_exit(store: DecisionStore, inp: DecisionInput, res: Resolution) -> Resolution:
    """An exit the rules allow, held while temporary parking is due (the stay's fee so
    far, less what was paid; after a payment the fee stops for :data:`EXIT_GRACE`).
    No stay recorded, or no tariff: nothing is due."""
    community, plate = inp.gate.community_id, inp.credential.secret
    stay = open_stay(store, community, plate)
    if stay is None:
        return res
    config, currency = community_parking(store, community)
    try:
        tariff = ParkingTariff.of(config)
    except TariffError:
        log.warning("parking tariff unreadable", extra={"fields": {"community": community}})
        return res  # a broken tariff must not trap cars inside; staff see the warning
    if tariff is None:
        return res
    due = stay_due(
        tariff,
        klass=stay.vehicle_class,
        entered=stay.entered_at,
        paid_minor=stay.paid_minor,
        paid_at=stay.paid_at,
        now=inp.now,
        timezone=inp.gate.timezone,
        grace=EXIT_GRACE,
    )
    if due <= 0:
        return res
    code = pay_code(inp.secret_key, stay.id)
    set_pay_hash(store, stay.id, hash_code(inp.secret_key, code))
    res.reason = Reason.PAYMENT_DUE
    res.payment = PaymentDue(due, currency, code, stay.id, plate, first=stay.pay_hash is None)
    return res


def record_passage(store: DecisionStore, inp: DecisionInput, res: Resolution, log_id: int) -> None:
    """A granted plate, in the same transaction: an entry opens the vehicle's visit
    (closing one whose exit was never seen), an exit closes it with the time."""
    community, plate, now = inp.gate.community_id, inp.credential.secret, inp.now
    if inp.direction == Direction.OUT:
        close_visit(store, community, plate, now, inp.gate.id, log_id)
        return
    reason = res.grant_reason or (Reason.OK if res.pass_row else Reason.VEHICLE)
    open_visit(
        store,
        {
            "community_id": community,
            "plate": plate,
            "reason": reason.value,
            "person_id": res.person_id,
            "unit_id": res.host_unit_id,
            "pass_id": res.pass_row.id if res.pass_row else None,
            "entered_at": now,
            "entry_gate_id": inp.gate.id,
            "entry_log_id": log_id,
            "vehicle_class": res.vehicle_class or plate_class(plate) or VehicleClass.SMALL.value,
        },
    )


RESOLVERS[Method.PLATE] = resolve_plate
