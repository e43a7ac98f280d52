"""The decision at the agent: the server's rules (:func:`access.verification.decide`)
on the replica, behind the gate's offline policy.

:class:`ReplicaStore` answers the few questions a decision asks from the replica:
a pass by its code or QR hash, the one conditional UPDATE that spends a use, the
keypad's guess budget — and appends the access-log row to the *outbox* instead,
with an idempotency key, in the same transaction as the use it records. A crash
after the commit loses nothing; one before it decided nothing.

Plates are decided by the server's own plate rules on the replica's plate tables
(:mod:`access.agent.plates`); a daily-help pass admits while one of its households
still keeps it, as on the server.

What the agent does not hold, it does not pretend to know: residencies (a host's
move-out reaches it as the revocation of their passes and of their gate QR; a
resident's gate QR and a resident's plate carry the residency's end date), staff
roles and names
(remote and staff openings come through the chat, i.e. the server), and the chat
itself (a host is not rung from a locked keypad while offline).

The offline policy (:func:`decide_offline`), per gate, before the rules:

1. emergency (the server's, or the agent's fire-alarm input) → the rules grant;
2. offline longer than the gate's ``max offline`` → passes are refused; residents'
   gate QR codes and residents' plates still open;
3. ``single use: refuse`` → a single-use pass is refused offline (no double entry);
   ``consume`` (default) → admitted once here and reconciled on reconnection.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from access.agent import plates
from access.agent.replica import PASS_COLUMNS, Replica
from access.credentials import hash_code, hash_token, is_code_shaped, is_token_shaped
from access.decision import Decision, DecisionInput, Direction, Method, Reason
from access.resolvers import local_today
from access.store import DecisionStore, PassRow, ResidentKeyRow
from access.store_sqlite import sqlite_time
from access.sync.models import OfflineSingleUse
from access.vehicles.plate_store import registered
from access.verification import _decision, _log_values, decide
from core.models import StaffRole

_SELECT = f"SELECT {PASS_COLUMNS} FROM passes"  # noqa: S608
_BY_CODE = _SELECT + " WHERE code_key = ? ORDER BY status = 'active' DESC, id DESC LIMIT 1"
_BY_TOKEN = _SELECT + " WHERE token_key = ? LIMIT 1"
_BY_ID = _SELECT + " WHERE id = ?"
# The pass for the plate open now, else the newest (its reason), as on the server.
_BY_PLATE = _SELECT + (  # noqa: S608 — fixed text
    " WHERE id IN (SELECT pass_id FROM pass_plates WHERE plate = ?) ORDER BY "
    "(status = 'active' AND valid_from <= ? AND valid_until > ?) DESC, id DESC LIMIT 1"
)
_REDEEM = (
    "UPDATE passes SET uses_count = uses_count + 1, inside = 1 WHERE id = ? "
    "AND status = 'active' AND valid_from <= ? AND valid_until > ? "
    "AND (max_uses IS NULL OR uses_count < max_uses)"
)
_JSON_LOG = ("gate_id", "method", "direction", "granted", "reason", "pass_id")


class ReplicaStore(DecisionStore):
    def __init__(self, replica: Replica) -> None:
        super().__init__(replica.conn)
        self.replica = replica
        self.raw = replica.raw
        self.last_key = ""
        self.resident_key_id: int | None = None
        self.today = ""  # the gate's local date (ISO), set by decide_offline
        self.plate: str | None = None  # a plate read, set by decide_offline

    def code_throttle_state(self, gate_id: int, now: datetime) -> Any:
        return self.throttle_state(gate_id)

    def host_resides(self, person_id: int, unit_id: int, today: date) -> bool:
        # A move-out arrives as the revocation of the host's passes; a resident's plate
        # carries the residency's end date.
        return not plates.moved_out(self.raw, person_id, unit_id, today.isoformat())

    def household_admits(self, pass_id: int, today: date) -> bool:
        return plates.household_admits(self.raw, pass_id, today.isoformat())

    def pass_by_plate(self, community_id: int, plate: str, now: datetime) -> PassRow | None:
        t = sqlite_time(now)
        row = self.raw.execute(_BY_PLATE, (plate, t, t)).fetchone()
        found = self.replica.pass_row(row) if row is not None else None
        return found if found is not None and found.community_id == community_id else None

    def resident_unit(self, person_id: int, community_id: int, today: date) -> int | None:
        return None

    def staff_role(self, person_id: int, community_id: int) -> StaffRole | None:
        return None

    def person_name(self, person_id: int) -> str:
        return ""

    def rung_since(self, pass_id: int, since: datetime) -> bool:
        return True  # no chat to ring a host through while offline

    def _one(self, sql: str, param: Any) -> PassRow | None:
        row = self.raw.execute(sql, (param,)).fetchone()
        return self.replica.pass_row(row) if row is not None else None

    def pass_by_code(self, community_id: int, code_hash: str) -> PassRow | None:
        found = self._one(_BY_CODE, self.replica.sealer.lookup(code_hash))
        return found if found is not None and found.community_id == community_id else None

    def pass_by_token(self, token_hash: str) -> PassRow | None:
        return self._one(_BY_TOKEN, self.replica.sealer.lookup(token_hash))

    def resident_key_by_token(self, token_hash: str) -> ResidentKeyRow | None:
        key = self.replica.resident_key(self.replica.sealer.lookup(token_hash) or "", self.today)
        self.resident_key_id = key.id if key is not None else None
        return key

    def pass_by_id(self, pass_id: int) -> PassRow:
        found = self._one(_BY_ID, pass_id)
        assert found is not None
        return found

    def redeem(self, pass_id: int, now: datetime) -> bool:
        t = sqlite_time(now)
        return int(self.raw.execute(_REDEEM, (pass_id, t, t)).rowcount) == 1

    def mark_exit(self, pass_id: int, now: datetime) -> None:
        self.raw.execute("UPDATE passes SET inside = 0 WHERE id = ?", (pass_id,))

    def refund(self, pass_id: int) -> None:
        self.raw.execute(
            "UPDATE passes SET uses_count = uses_count - 1, inside = 0 "
            "WHERE id = ? AND uses_count > 0",
            (pass_id,),
        )

    def insert_log(self, values: dict[str, Any]) -> int:
        """The access-log row, queued for the server with its idempotency key."""
        key = uuid.uuid4().hex
        body = {name: values.get(name) for name in _JSON_LOG}
        body.update(
            key=key,
            at=values["at"].isoformat(),
            holder_name=values.get("holder_name") or "",
            terminal=values.get("terminal"),
        )
        for extra in ("ref_key", "error"):
            if values.get(extra):
                body[extra] = values[extra]
        if self.plate is not None:
            body["plate"] = self.plate
        if values.get("person_id") is not None and self.resident_key_id is not None:
            body["resident_key_id"] = self.resident_key_id
        cursor = self.raw.execute(
            "INSERT INTO outbox (key, body) VALUES (?, ?)", (key, json.dumps(body))
        )
        self.last_key = key
        return int(cursor.lastrowid)

    def queue_event(self, body: dict[str, Any]) -> int:
        """A terminal's alarm, kept for the server like a decision."""
        key = uuid.uuid4().hex
        cursor = self.raw.execute(
            "INSERT INTO outbox (key, body) VALUES (?, ?)",
            (key, json.dumps({**body, "kind": "event", "key": key})),
        )
        return int(cursor.lastrowid)


@dataclass(frozen=True)
class OfflinePolicy:
    single_use: OfflineSingleUse
    max_offline_s: float
    # Seconds since the last good sync with the server.
    offline_for_s: float


def _find_pass(store: ReplicaStore, inp: DecisionInput) -> PassRow | None:
    secret = inp.credential.secret
    if inp.credential.method == Method.CODE and is_code_shaped(secret):
        return store.pass_by_code(inp.gate.community_id, hash_code(inp.secret_key, secret))
    if inp.credential.method == Method.QR and is_token_shaped(secret):
        return store.pass_by_token(hash_token(inp.secret_key, secret))
    return None


def _refuse(store: ReplicaStore, inp: DecisionInput, found: PassRow | None) -> Decision:
    values = _log_values(
        inp,
        granted=False,
        reason=Reason.NOT_ALLOWED,
        pass_id=found.id if found else None,
        person_id=None,
        holder_name=found.holder_name if found else "",
        host_unit_id=found.host_unit_id if found else None,
    )
    log_id = store.insert_log(values)
    return _decision(inp, False, Reason.NOT_ALLOWED, log_id=log_id)


def _resident_key(store: ReplicaStore, inp: DecisionInput) -> ResidentKeyRow | None:
    secret = inp.credential.secret
    if inp.credential.method != Method.QR or not is_token_shaped(secret):
        return None
    return store.resident_key_by_token(hash_token(inp.secret_key, secret))


def _resident_plate(store: ReplicaStore, inp: DecisionInput) -> bool:
    if inp.credential.method != Method.PLATE or inp.credential.denial is not None:
        return False
    return registered(store, inp.gate.community_id, inp.credential.secret) is not None


def decide_offline(store: ReplicaStore, inp: DecisionInput, policy: OfflinePolicy) -> Decision:
    """The offline policy, then the server's rules; in the caller's transaction."""
    store.today = local_today(inp).isoformat()
    cred = inp.credential
    store.plate = cred.secret if cred.method == Method.PLATE and cred.denial is None else None
    if inp.gate.active and not inp.gate.emergency:
        if policy.offline_for_s > policy.max_offline_s and not (
            _resident_plate(store, inp) or _resident_key(store, inp) is not None
        ):
            # Only residents' gate QR codes and plates, and emergency, open now (the
            # plate still under the black list and the residency's end); the refusal
            # is logged and reported like any.
            return _refuse(store, inp, None)
        if policy.single_use == OfflineSingleUse.REFUSE and inp.direction == Direction.IN:
            found = _find_pass(store, inp)
            if found is not None and found.max_uses is not None:
                return _refuse(store, inp, found)
    return decide(store, inp)
