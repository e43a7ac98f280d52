"""Who is presenting, and may they pass this gate now — the rules of a decision.

A *resolver* per credential kind finds what the credential names (a pass for a
code or QR token, a person for a remote, staff or face opening) and applies the
rules; :func:`access.verification.decide` does the rest (throttle, redemption,
log). The rules, each written once:

- **A pass admits an entry** when it is active, within its window, for this gate,
  within its daily hours, has uses left — and its host still lives in the unit
  that issued it (:func:`host_resides`): a right that ended ends every credential
  derived from it at once, not when the hourly housekeeping revokes the pass. A
  daily-help pass shared by households asks instead whether one household still
  keeps it (joined, not suspended, still living there) — else ``suspended``.
- **A pass admits an exit** when it would admit an entry now, or when its holder is
  recorded inside (an entry without an exit) and the pass was not revoked, for a
  gate it names, until ``exit_grace_s`` after its window. An exit never spends a use.
  Anything else is refused as strictly as an entry: a dead code "exiting" from
  outside opens nothing.
- **A resident's gate QR** (:func:`resolve_resident_key`) is a person's credential
  carried like a pass's token: it passes while they live in its unit, in both
  directions, spending nothing.
- **A person** (remote, face) passes while they reside in the community (the same
  :func:`host_resides` rule) or, for staff and faces, is active staff.
- **The gate's direction**: an entry-only gate refuses exits, an exit-only gate
  entries, before any credential is looked at (:func:`direction_refused`). A terminal
  has no direction of its own: a gate with lanes both ways (``both``) is told the way
  by each request (``direction`` in ``/verify``; the lane's terminal always sends its
  own), and a lane that must only ever be one way is registered as its own gate with
  that direction, so its key cannot be used the other way (decision 0031).

New credential kinds plug in through :data:`RESOLVERS` (the face engine adds a
``Method.FACE`` credential carrying the matched person).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select

from access.credentials import hash_code, hash_token, is_code_shaped, is_token_shaped
from access.decision import DecisionInput, Direction, Method, Reason, Resolution
from access.models import AccessLogEntry, GateDirection, PassKind, PassStatus
from access.store import DecisionStore, PassRow

Resolver = Callable[[DecisionStore, DecisionInput], Resolution]

_log = cast(Table, AccessLogEntry.__table__)


def local_today(inp: DecisionInput) -> date:
    return inp.now.astimezone(ZoneInfo(inp.gate.timezone)).date()


def direction_refused(inp: DecisionInput) -> bool:
    allowed = inp.gate.direction
    return allowed != GateDirection.BOTH.value and allowed != inp.direction.value


def within_daily_hours(p: PassRow, now: datetime, timezone: str) -> bool:
    if p.daily_start_min is None or p.daily_end_min is None:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    if p.weekdays is not None and not (p.weekdays >> local.weekday()) & 1:
        return False
    minute = local.hour * 60 + local.minute
    return p.daily_start_min <= minute < p.daily_end_min


def pass_rule_violation(p: PassRow, inp: DecisionInput) -> Reason | None:
    """The pass's own rules for an entry, in the order a holder would want them
    explained."""
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


def entry_violation(store: DecisionStore, p: PassRow, inp: DecisionInput) -> Reason | None:
    """Why this pass may not enter now (its rules, then its host's right), or None."""
    violation = pass_rule_violation(p, inp)
    if violation is not None:
        return violation
    if p.kind == PassKind.DAILY_HELP.value:
        # Shared by households: it works while one of them keeps it (decision 0031).
        if not store.household_admits(p.id, local_today(inp)):
            return Reason.SUSPENDED
    elif not store.host_resides(p.host_person_id, p.host_unit_id, local_today(inp)):
        # The tenancy behind the pass ended: the pass ended with it.
        return Reason.REVOKED
    return None


def exit_violation(store: DecisionStore, p: PassRow, inp: DecisionInput) -> Reason | None:
    """Why this pass may not exit now, or None (see the module docstring)."""
    entry = entry_violation(store, p, inp)
    if entry is None:
        return None
    inside_may_leave = (
        p.inside
        and p.status != PassStatus.REVOKED.value
        and (not p.gate_ids or inp.gate.id in p.gate_ids)
        and inp.now < p.valid_until + timedelta(seconds=inp.policy.exit_grace_s)
    )
    return None if inside_may_leave else entry


def resolve_pass(
    store: DecisionStore, found: PassRow | None, inp: DecisionInput, *, is_code: bool
) -> Resolution:
    if found is None or found.community_id != inp.gate.community_id:
        return Resolution(Reason.UNKNOWN, is_guess=is_code)
    if inp.direction == Direction.OUT:
        violation = exit_violation(store, found, inp)
    else:
        violation = entry_violation(store, found, inp)
    return Resolution(
        violation, pass_row=found, holder_name=found.holder_name, host_unit_id=found.host_unit_id
    )


def resolve_code(store: DecisionStore, inp: DecisionInput) -> Resolution:
    code = inp.credential.secret
    if not is_code_shaped(code):
        return Resolution(Reason.UNKNOWN, is_guess=True)
    found = store.pass_by_code(inp.gate.community_id, hash_code(inp.secret_key, code))
    return resolve_pass(store, found, inp, is_code=True)


def resolve_qr(store: DecisionStore, inp: DecisionInput) -> Resolution:
    token = inp.credential.secret
    if not is_token_shaped(token):
        return Resolution(Reason.UNKNOWN)
    token_hash = hash_token(inp.secret_key, token)
    found = store.pass_by_token(token_hash)
    if found is None:
        return resolve_resident_key(store, inp, token_hash)
    return resolve_pass(store, found, inp, is_code=False)


def resolve_resident_key(store: DecisionStore, inp: DecisionInput, token_hash: str) -> Resolution:
    """A resident's personal gate QR: passes while they live in its unit (the same
    :func:`host_resides` rule as a pass's host), either way, any gate of the community."""
    key = store.resident_key_by_token(token_hash)
    if key is None or key.community_id != inp.gate.community_id:
        return Resolution(Reason.UNKNOWN)
    ended = key.revoked or not store.host_resides(key.person_id, key.unit_id, local_today(inp))
    return Resolution(
        Reason.REVOKED if ended else None,
        person_id=key.person_id,
        holder_name=key.holder_name,
        host_unit_id=None if ended else key.unit_id,
    )


def resolve_remote(store: DecisionStore, inp: DecisionInput) -> Resolution:
    person_id = inp.credential.person_id
    if person_id is None:
        return Resolution(Reason.NOT_ALLOWED)
    unit_id = store.resident_unit(person_id, inp.gate.community_id, local_today(inp))
    name = store.person_name(person_id)
    if unit_id is None:
        return Resolution(Reason.NOT_ALLOWED, person_id=person_id, holder_name=name)
    since = inp.now - timedelta(seconds=inp.policy.remote_window_s)
    recent = store.conn.execute(
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
    person_id = inp.credential.person_id
    if person_id is None:
        return Resolution(Reason.NOT_ALLOWED)
    role = store.staff_role(person_id, inp.gate.community_id)
    name = store.person_name(person_id)
    reason = None if role in inp.policy.staff_open_roles else Reason.NOT_ALLOWED
    return Resolution(reason, person_id=person_id, holder_name=name)


def resolve_face(store: DecisionStore, inp: DecisionInput) -> Resolution:
    """A face the engine matched to a person: residents and staff of the community."""
    person_id = inp.credential.person_id
    if person_id is None:
        return Resolution(Reason.UNKNOWN)
    name = store.person_name(person_id)
    unit_id = store.resident_unit(person_id, inp.gate.community_id, local_today(inp))
    if unit_id is not None or store.staff_role(person_id, inp.gate.community_id) is not None:
        return Resolution(None, person_id=person_id, holder_name=name, host_unit_id=unit_id)
    return Resolution(Reason.NOT_ALLOWED, person_id=person_id, holder_name=name)


RESOLVERS: dict[Method, Resolver] = {
    Method.CODE: resolve_code,
    Method.QR: resolve_qr,
    Method.REMOTE: resolve_remote,
    Method.STAFF: resolve_staff,
    Method.FACE: resolve_face,
}
