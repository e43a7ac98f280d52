"""Face credentials in the gate's decision pipeline.

:mod:`access.verification` decides on a :class:`~access.verification.Credential`; for a
face, :class:`~access.faces.service.FaceService` builds that credential from the image
(the engine and the 1:N search run *before* the decision transaction, in a thread), and
the resolver registered here finishes the job inside the transaction:

- a denial the face side already established (no usable face, no match, ambiguous,
  "use your code") is logged and returned like any other denial;
- a match is re-checked against the database — a template deleted while the photo was
  being matched must not open the gate; a person of a look-alike pair
  (:mod:`access.faces.store.lookalike`) is refused ``second_factor`` — and then handed
  to the module's own :func:`~access.verification.resolve_face` (active resident or
  staff of the community).

The fallback after repeated failures (:func:`precheck_tx`) reads the access log itself,
which every process shares: the last :attr:`FaceGatePolicy.max_failures` face decisions
at this gate within :attr:`FaceGatePolicy.window_s`, all denied, with no entry granted at
the gate since, put face recognition at that gate on hold — the terminal is told
``use_code`` without the image even being examined. Each refused attempt extends the
hold; a quiet minute, or anyone getting in with a code or card, ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, select

from access.faces.store import has_lookalike_tx, is_enrolled_tx, versions_tx
from access.faces.store.liveness import LivenessPolicy, policy_tx
from access.models import AccessLogEntry
from access.store import DecisionStore
from access.verification import (
    RESOLVERS,
    DecisionInput,
    Method,
    Reason,
    Resolution,
    resolve_face,
)

_log = cast(Table, AccessLogEntry.__table__)


@dataclass(frozen=True)
class FaceGatePolicy:
    #: Face failures in a row at one gate before the terminal is told to use a code.
    max_failures: int = 5
    #: Failures older than this no longer count (the hold ends after a quiet spell).
    window_s: int = 60


@dataclass(frozen=True)
class Precheck:
    version: int  # the community's template change counter
    fallback: bool  # too many failures: answer "use your code"
    liveness: LivenessPolicy  # the gate's liveness mode (access.faces.liveness)


def precheck_tx(
    conn: Connection, gate_id: int, community_id: int, now: datetime, policy: FaceGatePolicy
) -> Precheck:
    """Read, before any face work: the index version, whether the gate is on hold, and
    its liveness policy."""
    version = versions_tx(conn, [community_id])[community_id]
    recent = conn.execute(
        select(_log.c.id, _log.c.granted)
        .where(
            _log.c.gate_id == gate_id,
            _log.c.method == Method.FACE.value,
            _log.c.at > now - timedelta(seconds=policy.window_s),
        )
        .order_by(_log.c.at.desc(), _log.c.id.desc())
        .limit(policy.max_failures)
    ).all()
    fallback = len(recent) >= policy.max_failures and not any(g for _id, g in recent)
    if fallback:
        later_grant = conn.execute(
            select(_log.c.id)
            .where(_log.c.gate_id == gate_id, _log.c.granted.is_(True), _log.c.id > recent[0].id)
            .limit(1)
        ).first()
        fallback = later_grant is None
    return Precheck(version, fallback, policy_tx(conn, gate_id))


def resolve_face_credential(store: DecisionStore, inp: DecisionInput) -> Resolution:
    """The :data:`~access.verification.RESOLVERS` entry for ``Method.FACE``."""
    credential = inp.credential
    if credential.denial is not None:
        return Resolution(credential.denial)
    if credential.person_id is None:
        return Resolution(Reason.NO_MATCH)
    if not is_enrolled_tx(store.conn, credential.person_id, inp.gate.community_id):
        # Deleted (or moved out) while the image was being matched: deletion wins.
        return Resolution(Reason.NO_MATCH)
    if has_lookalike_tx(store.conn, credential.person_id, inp.gate.community_id):
        # Someone else enrolled here looks too much like this face: it alone is not
        # enough. The terminal offers the keypad; the resident may open from the chat.
        return Resolution(Reason.SECOND_FACTOR, person_id=credential.person_id)
    return resolve_face(store, inp)


# The module's documented plug-in point for new credential kinds.
RESOLVERS[Method.FACE] = resolve_face_credential
