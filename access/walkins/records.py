"""The walk-in desk's reads and writes besides the call row itself: the household to
ring, the call's access log row, the ringing messages to close, and forgetting calls
long over."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.decision import Method, Reason
from access.models import AccessLogEntry
from access.walkins.models import (
    CallStatus,
    GateCallMeter,
    GateWalkin,
    GateWalkinRing,
    UnitCallMute,
)
from access.walkins.notify import RingMessage
from core.models import Residency
from core.residency import active_residency_clause


async def household(session: AsyncSession, unit_id: int, today: date) -> list[int]:
    """The people who live in the unit today: whom a call rings."""
    rows = await session.scalars(
        select(Residency.person_id)
        .where(active_residency_clause(today, unit_id=unit_id))
        .distinct()
    )
    return sorted(rows.all())


async def log_call(
    session: AsyncSession,
    row: GateWalkin,
    method: Method,
    reason: str,
    now: datetime,
    person_id: int | None = None,
) -> int:
    """The call's row in the access log (append-only): one per call, its outcome when
    not "let in" (that one is the gate decision's own row, access.walkins.gate)."""
    result = await session.execute(
        insert(AccessLogEntry).values(
            at=now,
            community_id=row.community_id,
            gate_id=row.gate_id,
            method=method.value,
            direction="in",
            granted=False,
            reason=Reason(reason).value,
            person_id=person_id,
            holder_name=row.visitor_name,
            host_unit_id=row.unit_id,
            terminal=row.terminal,
        )
    )
    key = result.inserted_primary_key  # type: ignore[attr-defined]
    assert key is not None
    return int(key[0])


def save_ring_messages(session: AsyncSession, call_id: int, messages: list[RingMessage]) -> None:
    session.add_all(GateWalkinRing(call_id=call_id, **dataclasses.asdict(m)) for m in messages)


async def ring_messages(session: AsyncSession, call_id: int) -> list[RingMessage]:
    rows = await session.scalars(select(GateWalkinRing).where(GateWalkinRing.call_id == call_id))
    return [RingMessage(r.person_id, r.chat_id, r.message_id, r.photo) for r in rows]


# A call's row serves its terminal's poll and the "refused, not again at once" rule
# (minutes); its outcome stays in the access log. The visitor's name and purpose are
# not kept longer than this (decision 0029).
KEEP_CALLS = timedelta(days=30)


async def prune_calls(session: AsyncSession, now: datetime) -> int:
    """Forget calls decided more than :data:`KEEP_CALLS` ago (their ringing messages
    go with them), mutes that ended and meters back to a full allowance (a meter's
    theoretical arrival time in the past is the same as no row). How many calls."""
    gone = await session.execute(
        delete(GateWalkin).where(
            GateWalkin.status != CallStatus.RINGING, GateWalkin.created_at < now - KEEP_CALLS
        )
    )
    await session.execute(delete(UnitCallMute).where(UnitCallMute.until < now))
    await session.execute(delete(GateCallMeter).where(GateCallMeter.tat < now))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
