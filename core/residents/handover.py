"""Keys and access cards handed over at move-in and returned at move-out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.clock import Clock
from core.models import (
    Residency,
    Unit,
)
from core.movein_models import (
    HandoverDirection,
    HandoverItem,
    KeyHandover,
)
from core.residents.common import ResidentsError


async def record_handover(
    session: AsyncSession,
    residency_id: int,
    item: HandoverItem,
    direction: HandoverDirection,
    *,
    by_person_id: int,
    by_telegram_id: int | None,
    clock: Clock,
) -> KeyHandover | None:
    """Log one hand-over; None when that item was already logged that way."""
    residency = await session.get(Residency, residency_id)
    if residency is None:
        raise ResidentsError("not_found")
    unit = await session.get(Unit, residency.unit_id)
    assert unit is not None
    last = await session.scalar(
        select(KeyHandover)
        .where(KeyHandover.residency_id == residency_id, KeyHandover.item == item)
        .order_by(KeyHandover.id.desc())
        .limit(1)
    )
    if last is not None and last.direction == direction:
        return None
    if last is None and direction == HandoverDirection.RETURNED:
        # Returning something we never logged as issued is still worth recording.
        pass
    entry = KeyHandover(
        community_id=unit.community_id,
        residency_id=residency_id,
        item=item,
        direction=direction,
        at=clock.now(),
        by_person_id=by_person_id,
    )
    session.add(entry)
    await session.flush()
    await record_audit(
        session,
        f"handover.{direction.value}",
        community_id=unit.community_id,
        actor_person_id=by_person_id,
        actor_telegram_id=by_telegram_id,
        target_type="residency",
        target_id=residency_id,
        details={"item": item.value},
    )
    return entry


async def handover_log(session: AsyncSession, residency_id: int) -> dict[HandoverItem, KeyHandover]:
    """The latest entry per item."""
    rows = (
        await session.scalars(
            select(KeyHandover)
            .where(KeyHandover.residency_id == residency_id)
            .order_by(KeyHandover.id)
        )
    ).all()
    latest: dict[HandoverItem, KeyHandover] = {}
    for row in rows:
        latest[row.item] = row
    return latest
