"""What the outbox worker reads and queues around a delivery: who a message is
for, the admin group to alert, and the alert when a receipt could not be delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.fees import outbox
from core.fees.payments import STAFF_ALERT
from core.models import Community, Person


@dataclass(frozen=True)
class Recipient:
    person: Person | None
    community: Community | None


async def recipient(session: AsyncSession, person_id: int | None, community_id: int) -> Recipient:
    """The person a message is for (None for a group) and their community."""
    person = await session.get(Person, person_id) if person_id else None
    community = await session.get(Community, community_id)
    return Recipient(person, community)


async def alert_receipt_undelivered(
    session: AsyncSession, item: outbox.OutboxItem, reason: str, *, now: datetime
) -> int | None:
    """Queue an alert to the admin group that this receipt could not reach its
    resident (staff hand one over); the outbox id, or None when there is no admin
    group or the alert was queued already."""
    community = await session.get(Community, item.community_id)
    if community is None or community.admin_chat_id is None:
        return None
    person = await session.get(Person, item.person_id) if item.person_id else None
    return await outbox.enqueue(
        session,
        kind=STAFF_ALERT,
        community_id=community.id,
        chat_id=community.admin_chat_id,
        dedupe_key=f"undelivered:{item.id}",
        payload={
            "alert": "receipt_undelivered",
            "payment_id": item.payload.get("payment_id"),
            "name": person.full_name if person else "",
            "reason": reason,
        },
        now=now,
    )
