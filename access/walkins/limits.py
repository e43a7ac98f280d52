"""Abuse limits on calls from the gate to a household (decision 0029).

- **Rate**: calls from one gate to one unit are metered by the generic cell rate
  algorithm, as wrong codes are (:mod:`access.throttle`): each call moves the pair's
  theoretical arrival time ``tat`` one interval (``3600 / calls_per_hour`` s) later
  than ``max(tat, now)``; a call whose ``tat - now`` would exceed the burst tolerance
  is refused ``rate_limited``. So ``burst`` calls at once, then one per interval. The
  key is the gate (its authenticated key), not the terminal's self-declared name,
  which a caller could vary.
- **Refused**: after a resident refused a call from a gate, that gate cannot ring
  the unit again for ``refused_cooldown_s``.
- **Muted**: a household mutes calls from every gate until a time it chose.

A guard registering someone at the booth is staff: none of these apply to them.
The meter's row is written first in the call's transaction, so concurrent calls to
one unit from one gate are metered one after another (the row lock on PostgreSQL,
the write lock on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from access.walkins.models import CallStatus, GateCallMeter, GateWalkin, UnitCallMute


@dataclass(frozen=True)
class WalkinPolicy:
    #: Seconds the household has to answer before the terminal and guards are told.
    answer_s: int = 60
    #: Calls from one gate to one unit: the long-run rate and the burst at once.
    calls_per_hour: int = 12
    burst: int = 3
    #: After a refusal, the same gate may not ring the unit again for this long.
    refused_cooldown_s: int = 600
    #: The mute a resident sets from a ringing message.
    mute_s: int = 3600

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=3600 / self.calls_per_hour)

    @property
    def tolerance(self) -> timedelta:
        return self.interval * (self.burst - 1)


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


async def meter_call(
    session: AsyncSession, gate_id: int, unit_id: int, now: datetime, policy: WalkinPolicy
) -> int | None:
    """Count one call; None when allowed, else the seconds until the next one is."""
    await session.execute(
        _insert(session)(GateCallMeter)
        .values(gate_id=gate_id, unit_id=unit_id, tat=None)
        .on_conflict_do_nothing(index_elements=["gate_id", "unit_id"])
    )
    where = (GateCallMeter.gate_id == gate_id, GateCallMeter.unit_id == unit_id)
    tat = await session.scalar(select(GateCallMeter.tat).where(*where).with_for_update())
    base = max(tat or now, now)
    if base - now > policy.tolerance:
        return _seconds(base - policy.tolerance - now)
    await session.execute(update(GateCallMeter).where(*where).values(tat=base + policy.interval))
    return None


async def refused_wait(
    session: AsyncSession, gate_id: int, unit_id: int, now: datetime, policy: WalkinPolicy
) -> int | None:
    """Seconds this gate must still wait after the unit refused its last call, or None."""
    last = await session.scalar(
        select(func.max(GateWalkin.decided_at)).where(
            GateWalkin.gate_id == gate_id,
            GateWalkin.unit_id == unit_id,
            GateWalkin.status == CallStatus.REFUSED,
            GateWalkin.decided_at > now - timedelta(seconds=policy.refused_cooldown_s),
        )
    )
    if last is None:
        return None
    return _seconds(last + timedelta(seconds=policy.refused_cooldown_s) - now)


async def muted_until(session: AsyncSession, unit_id: int, now: datetime) -> datetime | None:
    until = await session.scalar(
        select(UnitCallMute.until).where(UnitCallMute.unit_id == unit_id, UnitCallMute.until > now)
    )
    return until


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def set_mute(
    session: AsyncSession, unit_id: int, until: datetime | None, person_id: int
) -> None:
    """Mute the unit's calls until ``until``; None unmutes. Two residents at once: the
    later write stands (an upsert, never a duplicate key)."""
    if until is None:
        await session.execute(delete(UnitCallMute).where(UnitCallMute.unit_id == unit_id))
        return
    await session.execute(
        _insert(session)(UnitCallMute)
        .values(unit_id=unit_id, until=until, by_person_id=person_id)
        .on_conflict_do_update(
            index_elements=["unit_id"], set_={"until": until, "by_person_id": person_id}
        )
    )
