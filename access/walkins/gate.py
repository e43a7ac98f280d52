"""A resident's "Let in once" in the gate's decision pipeline.

The answer and the door are one decision: :func:`let_in_tx` claims the call with one
conditional UPDATE (``status = 'ringing'`` and not expired) and, in the same
transaction, runs :func:`access.verification.decide` on a ``walkin`` or ``call``
credential carrying the call's id and the resident. So the access log row (granted,
``let_in``, naming the resident) and the call's outcome commit together; a second
resident pressing at the same moment finds the row no longer ringing and gets
:class:`CallClosed` (nothing written). The runtime commands the door after the commit,
as for every granted decision (:mod:`access.service`).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, select, update

from access.resolvers import local_today
from access.store import DecisionStore
from access.store_sqlite import store_for
from access.verification import (
    RESOLVERS,
    Decision,
    DecisionInput,
    Method,
    Reason,
    Resolution,
    decide,
)
from access.walkins.models import CallStatus, GateWalkin

_w = cast(Table, GateWalkin.__table__)


class CallClosed(Exception):
    """The call was answered by someone else, or ended, before this answer."""


def resolve_walkin(store: DecisionStore, inp: DecisionInput) -> Resolution:
    """The resident who answered: they must live in the called unit today."""
    person_id = inp.credential.person_id
    call_id = int(inp.credential.secret) if inp.credential.secret.isdigit() else 0
    row = store.conn.execute(
        select(_w.c.unit_id, _w.c.visitor_name).where(_w.c.id == call_id)
    ).first()
    if row is None or person_id is None:
        return Resolution(Reason.UNKNOWN)
    if not store.host_resides(person_id, row.unit_id, local_today(inp)):
        return Resolution(Reason.NOT_ALLOWED, person_id=person_id, host_unit_id=row.unit_id)
    return Resolution(
        None, person_id=person_id, holder_name=row.visitor_name, host_unit_id=row.unit_id
    )


RESOLVERS[Method.WALKIN] = resolve_walkin
RESOLVERS[Method.CALL] = resolve_walkin


def let_in_tx(conn: Connection, inp: DecisionInput) -> Decision:
    """Claim the call for this resident, then decide (see the module docstring)."""
    call_id = int(inp.credential.secret)
    claimed = conn.execute(
        update(_w)
        .where(
            _w.c.id == call_id,
            _w.c.status == CallStatus.RINGING.value,
            _w.c.expires_at > inp.now,
        )
        .values(
            status=CallStatus.LET_IN.value,
            decided_at=inp.now,
            decided_by_person_id=inp.credential.person_id,
        )
    )
    if claimed.rowcount != 1:
        raise CallClosed(call_id)
    decision = decide(store_for(conn), inp)
    conn.execute(
        update(_w)
        .where(_w.c.id == call_id)
        .values(log_id=decision.log_id, door=decision.door.value)
    )
    return decision
