"""Who is inside now: everyone recorded entering with a pass and not recorded leaving.

A pass's ``inside`` is set by the entry that spends a use and cleared by a granted
exit (:mod:`access.verification`), so this is the access log's own answer, read from
the passes: visitors, workers, couriers and daily help, each with when they came in.
Vehicles inside are the vehicle log's (not here). Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import Pass
from core.models import Building, Unit

#: The kinds listed, in the order staff read them.
PRESENCE_KINDS = ("visitor", "worker", "delivery", "daily_help")


@dataclass(frozen=True)
class Inside:
    pass_id: int
    kind: str
    holder_name: str
    unit_label: str
    since: datetime
    valid_until: datetime


async def inside_now(
    session: AsyncSession, community_id: int, *, offset: int = 0, limit: int = 10
) -> tuple[list[Inside], int]:
    """One page of who is inside, longest-staying first, and how many in all."""
    where = (Pass.community_id == community_id, Pass.inside.is_(True))
    total = await session.scalar(select(func.count()).select_from(Pass).where(*where)) or 0
    rows = (
        await session.execute(
            select(Pass, Building.name, Unit.number)
            .join(Unit, Unit.id == Pass.host_unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(*where)
            .order_by(Pass.last_entry_at, Pass.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return [
        Inside(
            pass_id=row.id,
            kind=str(row.kind),
            holder_name=row.holder_name,
            unit_label=f"{building}-{number}",
            since=row.last_entry_at or row.valid_from,
            valid_until=row.valid_until,
        )
        for row, building, number in rows
    ], int(total)
