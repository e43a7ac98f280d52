"""What an agent decided or heard while the server was away, recorded exactly once.

Each item carries an idempotency key chosen by the agent when it happened. The key
and what it records (an access-log row and the pass's use, or a terminal event) are
written in one transaction; a key already recorded is acknowledged again and changes
nothing. So an agent that crashed after sending and before hearing the answer simply
sends again.

A granted entry spends a use with the conditional UPDATE of the online path,
without the window checks (the agent judged the window at the time; the person is
through). When no use was left — another agent or the server admitted the same
single-use pass meanwhile — the entry is still recorded, as it happened, and the
caller tells staff: a *double grant*. A ``door_failed`` follow-up (the agent could
not command the door) points at its decision (``ref_key``) and gives the use back,
as the online path does.

A granted plate also keeps the vehicle's visit as the online path does
(:func:`access.vehicles.plate_gate.record_passage`), at the time it happened: an
entry opens it (so a visitor who came in offline pays temporary parking when leaving
online), an exit closes it. The agent charges no parking (decision 0025): a stay it
let out is closed here with its times and what was paid, the amount owed on record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update

from access.decision import Decision, Direction, DoorOutcome, Method, Reason
from access.models import AccessLogEntry, GateEvent, GateEventType, Pass, ResidentGateKey
from access.plates import VehicleClass, plate_class
from access.store import DecisionStore
from access.sync.feed import AgentInfo
from access.sync.models import AgentUpload
from access.vehicles.plate_store import close_visit, open_visit, registered

_log = cast(Table, AccessLogEntry.__table__)
_passes = cast(Table, Pass.__table__)
_uploads = cast(Table, AgentUpload.__table__)
_events = cast(Table, GateEvent.__table__)
_resident_keys = cast(Table, ResidentGateKey.__table__)


@dataclass(frozen=True)
class OfflineDecision:
    """One decision as the agent uploads it (validated by :mod:`access.sync.api`)."""

    key: str
    gate_id: int
    at: datetime
    method: Method
    direction: Direction
    granted: bool
    reason: Reason
    pass_id: int | None
    holder_name: str
    terminal: str | None
    ref_key: str | None = None
    error: str = ""
    # A resident's gate QR (no pass): the log row names the resident.
    resident_key_id: int | None = None
    # A plate read (normalized): the vehicle's visit is kept as online.
    plate: str | None = None


@dataclass(frozen=True)
class OfflineEvent:
    """A terminal's alarm (door forced, held open, tamper) the agent kept."""

    key: str
    gate_id: int
    at: datetime
    type: GateEventType
    details: str
    terminal: str | None


@dataclass(frozen=True)
class LateEvent:
    event: OfflineEvent
    event_id: int


@dataclass
class UploadResult:
    recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    # Granted entries through a pass: their hosts are told, late.
    entries: list[Decision] = field(default_factory=list)
    # Entries admitted offline when no use was left: staff are told.
    double_grants: list[Decision] = field(default_factory=list)
    door_failures: list[tuple[Decision, str]] = field(default_factory=list)
    events: list[LateEvent] = field(default_factory=list)


def _spend(conn: Connection, row: Any, item: OfflineDecision) -> bool:
    """Apply the decision to the pass; True when it was a double grant."""
    if not item.granted:
        return False
    if item.reason == Reason.DOOR_FAILED:
        if item.direction == Direction.IN:
            conn.execute(
                update(_passes)
                .where(_passes.c.id == row.id, _passes.c.uses_count > 0)
                .values(uses_count=_passes.c.uses_count - 1, inside=False)
            )
        return False
    if item.reason not in (Reason.OK, Reason.EXIT):
        return False
    if item.direction == Direction.OUT:
        conn.execute(
            update(_passes).where(_passes.c.id == row.id).values(inside=False, last_exit_at=item.at)
        )
        return False
    spent = conn.execute(
        update(_passes)
        .where(
            _passes.c.id == row.id,
            (_passes.c.max_uses.is_(None)) | (_passes.c.uses_count < _passes.c.max_uses),
        )
        .values(uses_count=_passes.c.uses_count + 1, inside=True, last_entry_at=item.at)
    ).rowcount
    return bool(spent != 1)


def _apply_decision(
    conn: Connection, agent: AgentInfo, item: OfflineDecision
) -> tuple[Decision, bool, int | None]:
    row: Any = None
    if item.pass_id is not None:
        row = conn.execute(select(_passes).where(_passes.c.id == item.pass_id)).first()
        if row is not None and row.community_id != agent.community_id:
            row = None  # an agent cannot touch another community's pass
    double = _spend(conn, row, item) if row is not None else False
    person_id = unit_id = None
    vehicle = None
    if item.plate is not None and row is None and item.reason == Reason.VEHICLE:
        vehicle = registered(DecisionStore(conn), agent.community_id, item.plate)
        if vehicle is not None:
            person_id, unit_id = vehicle[0], vehicle[1]
    if item.resident_key_id is not None and row is None:
        key = conn.execute(
            select(_resident_keys.c.person_id, _resident_keys.c.unit_id).where(
                _resident_keys.c.id == item.resident_key_id,
                _resident_keys.c.community_id == agent.community_id,
            )
        ).first()
        if key is not None:
            person_id, unit_id = key.person_id, key.unit_id
    ref_id = None
    if item.ref_key is not None:
        ref_id = conn.execute(
            select(_uploads.c.log_id).where(
                _uploads.c.key == item.ref_key, _uploads.c.agent_id == agent.id
            )
        ).scalar()
    result = conn.execute(
        insert(_log).values(
            at=item.at,
            community_id=agent.community_id,
            gate_id=item.gate_id,
            method=item.method.value,
            direction=item.direction.value,
            granted=item.granted,
            reason=item.reason.value,
            pass_id=row.id if row is not None else None,
            person_id=person_id,
            holder_name=(row.holder_name if row is not None else item.holder_name)[:120],
            host_unit_id=row.host_unit_id if row is not None else unit_id,
            terminal=item.terminal,
            ref_id=ref_id,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    log_id = int(pk[0])
    conn.execute(insert(_uploads).values(key=item.key, agent_id=agent.id, log_id=log_id))
    if item.plate is not None and item.granted and item.reason != Reason.DOOR_FAILED:
        _keep_visit(conn, agent, item, log_id, row, (person_id, unit_id, vehicle))
    uses_left = None
    if row is not None and row.max_uses is not None:
        uses_left = max(row.max_uses - row.uses_count - (0 if double else 1), 0)
    decision = Decision(
        granted=item.granted,
        reason=item.reason,
        method=item.method,
        direction=item.direction,
        gate_id=item.gate_id,
        community_id=agent.community_id,
        at=item.at,
        log_id=log_id,
        pass_id=row.id if row is not None else None,
        pass_kind=str(row.kind) if row is not None else None,
        holder_name=row.holder_name if row is not None else item.holder_name,
        host_person_id=row.host_person_id if row is not None else None,
        host_unit_id=row.host_unit_id if row is not None else unit_id,
        person_id=person_id,
        uses_left=uses_left,
        door=DoorOutcome.RELEASED if item.granted else DoorOutcome.NOT_COMMANDED,
        reported_late=True,
    )
    return decision, double, ref_id


def _keep_visit(
    conn: Connection, agent: AgentInfo, item: OfflineDecision, log_id: int, row: Any, who: Any
) -> None:
    assert item.plate is not None
    store = DecisionStore(conn)
    if item.direction == Direction.OUT:
        close_visit(store, agent.community_id, item.plate, item.at, item.gate_id, log_id)
        return
    person_id, unit_id, vehicle = who
    klass = vehicle[3] if vehicle else plate_class(item.plate) or VehicleClass.SMALL.value
    open_visit(
        store,
        {
            "community_id": agent.community_id,
            "plate": item.plate,
            "reason": item.reason.value,
            "person_id": person_id,
            "unit_id": row.host_unit_id if row is not None else unit_id,
            "pass_id": row.id if row is not None else None,
            "entered_at": item.at,
            "entry_gate_id": item.gate_id,
            "entry_log_id": log_id,
            "vehicle_class": klass,
        },
    )


def _apply_event(conn: Connection, agent: AgentInfo, item: OfflineEvent) -> LateEvent:
    result = conn.execute(
        insert(_events).values(
            at=item.at,
            community_id=agent.community_id,
            gate_id=item.gate_id,
            type=item.type.value,
            terminal=item.terminal,
            details=item.details[:500],
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    conn.execute(insert(_uploads).values(key=item.key, agent_id=agent.id, log_id=None))
    return LateEvent(item, int(pk[0]))


def apply_uploads(
    conn: Connection, agent: AgentInfo, items: list[OfflineDecision | OfflineEvent]
) -> UploadResult:
    """Record ``items`` in order, in one transaction; keys already recorded are skipped."""
    result = UploadResult()
    keys = [item.key for item in items]
    known = set(conn.execute(select(_uploads.c.key).where(_uploads.c.key.in_(keys))).scalars())
    for item in items:
        if item.key in known:
            result.duplicates.append(item.key)
            continue
        known.add(item.key)
        result.recorded.append(item.key)
        if isinstance(item, OfflineEvent):
            result.events.append(_apply_event(conn, agent, item))
            continue
        decision, double, ref_id = _apply_decision(conn, agent, item)
        if double:
            result.double_grants.append(decision)
        elif decision.reason == Reason.DOOR_FAILED:
            result.door_failures.append((decision, item.error))
            # Nobody came in: the host is not told of the entry it follows.
            result.entries = [d for d in result.entries if d.log_id != ref_id]
        elif (
            decision.granted and decision.pass_id is not None and decision.direction == Direction.IN
        ):
            result.entries.append(decision)
    return result
