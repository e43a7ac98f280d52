"""An item's history: its maintenance tasks and the repair tickets linked to it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.equipment.ledger import EquipmentError
from core.equipment.models import Equipment, EquipmentRepair, MaintenanceTask
from core.models import Community, Person
from core.tickets.lookups import find_ticket_by_number
from core.tickets.models import Ticket


async def link_ticket(
    session: AsyncSession,
    community: Community,
    *,
    ticket_number: int,
    item_id: int,
    actor_person_id: int | None,
) -> tuple[Ticket, Equipment]:
    """Link repair ticket #``ticket_number`` to item ``item_id`` (a ticket already
    linked moves to this item)."""
    ticket = await find_ticket_by_number(session, community.id, ticket_number)
    if ticket is None:
        raise EquipmentError("unknown_ticket")
    item = await session.get(Equipment, item_id)
    if item is None or item.community_id != community.id:
        raise EquipmentError("unknown_item")
    link = await session.scalar(
        select(EquipmentRepair).where(EquipmentRepair.ticket_id == ticket.id)
    )
    if link is None:
        session.add(
            EquipmentRepair(
                community_id=community.id,
                equipment_id=item.id,
                ticket_id=ticket.id,
                linked_by_person_id=actor_person_id,
            )
        )
    else:
        link.equipment_id = item.id
        link.linked_by_person_id = actor_person_id
    await session.flush()
    await record_audit(
        session,
        "equipment.link",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="ticket",
        target_id=ticket.id,
        details={"equipment_id": item.id},
    )
    return ticket, item


@dataclass(frozen=True)
class ItemHistory:
    item: Equipment
    tasks: list[tuple[MaintenanceTask, str | None]]  # newest first, with who did it
    repairs: list[Ticket]  # newest first


async def item_history(
    session: AsyncSession, community: Community, item_id: int, limit: int = 20
) -> ItemHistory:
    item = await session.get(Equipment, item_id)
    if item is None or item.community_id != community.id:
        raise EquipmentError("unknown_item")
    tasks = await session.execute(
        select(MaintenanceTask, Person.full_name)
        .outerjoin(Person, Person.id == MaintenanceTask.done_by_person_id)
        .where(MaintenanceTask.equipment_id == item.id)
        .order_by(MaintenanceTask.due_on.desc(), MaintenanceTask.id.desc())
        .limit(limit)
    )
    repairs = await session.scalars(
        select(Ticket)
        .join(EquipmentRepair, EquipmentRepair.ticket_id == Ticket.id)
        .where(EquipmentRepair.equipment_id == item.id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    return ItemHistory(item, [(t, n) for t, n in tasks.all()], list(repairs.all()))
