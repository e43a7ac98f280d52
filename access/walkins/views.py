"""A call as the terminal, the chat and the guards see it, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from access.models import Gate
from access.walkins.models import CallStatus, GateWalkin
from core.models import Building, Community, Person, Unit


@dataclass(frozen=True)
class CallView:
    id: int
    community_id: int
    gate_id: int
    gate_name: str
    unit_id: int
    unit_label: str
    timezone: str
    kind: str
    status: str
    terminal: str | None
    visitor_name: str
    purpose: str
    registered_by_person_id: int | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    decided_by_person_id: int | None
    decided_by_name: str
    log_id: int | None
    door: str | None
    reached: int

    @property
    def ringing(self) -> bool:
        return self.status == CallStatus.RINGING.value

    def expires_in_s(self, now: datetime) -> int:
        if not self.ringing:
            return 0
        return max(0, int((self.expires_at - now).total_seconds() + 0.999))


async def load_call(session: AsyncSession, call_id: int) -> CallView | None:
    decider = aliased(Person)
    row = (
        await session.execute(
            select(
                GateWalkin,
                Gate.name,
                Building.name,
                Unit.number,
                Community.timezone,
                decider.full_name,
            )
            .join(Gate, Gate.id == GateWalkin.gate_id)
            .join(Unit, Unit.id == GateWalkin.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == GateWalkin.community_id)
            .outerjoin(decider, decider.id == GateWalkin.decided_by_person_id)
            .where(GateWalkin.id == call_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    call, gate_name, building, number, timezone, decided_by = row
    return CallView(
        id=call.id,
        community_id=call.community_id,
        gate_id=call.gate_id,
        gate_name=gate_name,
        unit_id=call.unit_id,
        unit_label=f"{building}-{number}",
        timezone=timezone,
        kind=call.kind.value,
        status=call.status.value,
        terminal=call.terminal,
        visitor_name=call.visitor_name,
        purpose=call.purpose,
        registered_by_person_id=call.registered_by_person_id,
        created_at=call.created_at,
        expires_at=call.expires_at,
        decided_at=call.decided_at,
        decided_by_person_id=call.decided_by_person_id,
        decided_by_name=decided_by or "",
        log_id=call.log_id,
        door=call.door,
        reached=call.reached,
    )
