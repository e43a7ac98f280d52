"""Decisions an agent made while the server was away, recorded exactly once.

Each decision carries an idempotency key chosen by the agent when it decided. The
key, the access-log row and the pass's use are written in one transaction; a key
already recorded is acknowledged again and changes nothing. So an agent that
crashed after sending and before hearing the answer simply sends again.

A granted entry spends a use with the conditional UPDATE of the online path,
without the window checks (the agent judged the window at the time; the person is
through). When no use was left — another agent or the server admitted the same
single-use pass meanwhile — the entry is still recorded, as it happened, and the
caller tells staff: a *double grant*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update

from access.decision import Decision, Direction, DoorOutcome, Method, Reason
from access.models import AccessLogEntry, Pass
from access.sync.feed import AgentInfo
from access.sync.models import AgentUpload

_log = cast(Table, AccessLogEntry.__table__)
_passes = cast(Table, Pass.__table__)
_uploads = cast(Table, AgentUpload.__table__)


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


@dataclass
class UploadResult:
    recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    # Granted entries through a pass: their hosts are told, late.
    entries: list[Decision] = field(default_factory=list)
    # Entries admitted offline when no use was left: staff are told.
    double_grants: list[Decision] = field(default_factory=list)


def _apply_one(conn: Connection, agent: AgentInfo, item: OfflineDecision) -> tuple[Decision, bool]:
    row: Any = None
    if item.pass_id is not None:
        row = conn.execute(select(_passes).where(_passes.c.id == item.pass_id)).first()
        if row is not None and row.community_id != agent.community_id:
            row = None  # an agent cannot touch another community's pass
    double = False
    if row is not None and item.granted and item.reason == Reason.OK:
        if item.direction == Direction.IN:
            spent = conn.execute(
                update(_passes)
                .where(
                    _passes.c.id == row.id,
                    (_passes.c.max_uses.is_(None)) | (_passes.c.uses_count < _passes.c.max_uses),
                )
                .values(uses_count=_passes.c.uses_count + 1, inside=True, last_entry_at=item.at)
            ).rowcount
            double = spent != 1
        else:
            conn.execute(
                update(_passes)
                .where(_passes.c.id == row.id)
                .values(inside=False, last_exit_at=item.at)
            )
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
            person_id=None,
            holder_name=(row.holder_name if row is not None else item.holder_name)[:120],
            host_unit_id=row.host_unit_id if row is not None else None,
            terminal=item.terminal,
            ref_id=None,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    log_id = int(pk[0])
    conn.execute(insert(_uploads).values(key=item.key, agent_id=agent.id, log_id=log_id))
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
        host_unit_id=row.host_unit_id if row is not None else None,
        uses_left=uses_left,
        door=DoorOutcome.RELEASED if item.granted else DoorOutcome.NOT_COMMANDED,
        reported_late=True,
    )
    return decision, double


def apply_uploads(conn: Connection, agent: AgentInfo, items: list[OfflineDecision]) -> UploadResult:
    """Record ``items`` in one transaction; keys already recorded are skipped."""
    result = UploadResult()
    keys = [item.key for item in items]
    known = set(conn.execute(select(_uploads.c.key).where(_uploads.c.key.in_(keys))).scalars())
    for item in items:
        if item.key in known:
            result.duplicates.append(item.key)
            continue
        known.add(item.key)
        decision, double = _apply_one(conn, agent, item)
        result.recorded.append(item.key)
        if double:
            result.double_grants.append(decision)
        elif (
            decision.granted and decision.pass_id is not None and decision.direction == Direction.IN
        ):
            result.entries.append(decision)
    return result
