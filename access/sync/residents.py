"""Residents' gate QR codes in an agent's feed (:mod:`access.sync.feed`).

A key is sent while it is not revoked and its residency is active: its token hash
under the community's credential key, the person and unit (for the access log), the
holder's name and the residency's end date (so an agent offline past a lease's end
refuses it). A changed key that no longer qualifies is sent as ``gone``. Residents'
faces are not sent (decision 0025).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from access.models import ResidentGateKey
from core.models import Person, Residency
from core.residency import active_residency_clause

_keys = cast(Table, ResidentGateKey.__table__)
_residencies = cast(Table, Residency.__table__)
_people = cast(Table, Person.__table__)


def resident_keys(
    conn: Connection, community_id: int, changed: list[int] | None, now: datetime
) -> list[dict[str, Any]]:
    """Every current key of the community (``changed`` None), or those changed."""
    query = (
        select(
            _keys.c.id,
            _keys.c.person_id,
            _keys.c.unit_id,
            _keys.c.offline_token_hash,
            _people.c.full_name,
            _residencies.c.end_date,
        )
        .join(_people, _people.c.id == _keys.c.person_id)
        .join(
            _residencies,
            (_residencies.c.person_id == _keys.c.person_id)
            & (_residencies.c.unit_id == _keys.c.unit_id)
            & active_residency_clause(now.date(), residency=_residencies.c),
        )
        .where(_keys.c.community_id == community_id, _keys.c.revoked_at.is_(None))
    )
    if changed is not None:
        if not changed:
            return []
        query = query.where(_keys.c.id.in_(changed))
    found: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query):
        found[row.id] = {
            "id": row.id,
            "person_id": row.person_id,
            "unit_id": row.unit_id,
            "token_hash": row.offline_token_hash,
            "holder_name": row.full_name or "",
            "until": row.end_date.isoformat() if row.end_date else None,
        }
    gone = [{"id": key_id, "gone": True} for key_id in changed or [] if key_id not in found]
    return [*found.values(), *gone]
