"""What staff found on their rounds, filed as a ticket in the office's name.

:func:`core.tickets.filing.file_ticket` files for residents (their units, their
daily limit); a fire lane found blocked on a check, or a light found out on the
light round, is filed here by the staff member who found it: the same numbering,
media rule, deadlines and first event, without the resident's checks. The ticket
then goes up in the admin group like any other (its own topic, its card, the photo).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.models import Community
from core.tickets.common import MAX_DESCRIPTION, MAX_LOCATION_TEXT, clean_text, record_event
from core.tickets.deadlines import new_deadline_row, plan_deadlines, ticket_settings
from core.tickets.filing import MediaItem, _next_number, validate_media
from core.tickets.models import (
    HazardType,
    RepairCategory,
    Ticket,
    TicketEventType,
    TicketKind,
    TicketStatus,
    Urgency,
)


async def file_staff_hazard(
    session: AsyncSession,
    clock: Clock,
    *,
    community: Community,
    staff_person_id: int,
    hazard: HazardType,
    description: str,
    location_text: str,
    latitude: float | None = None,
    longitude: float | None = None,
    urgency: Urgency = Urgency.URGENT,
    media: Sequence[MediaItem] = (),
) -> Ticket:
    """File a hazard ticket reported by a staff member (the caller's transaction)."""
    return await file_staff_ticket(
        session,
        clock,
        community=community,
        staff_person_id=staff_person_id,
        kind=TicketKind.HAZARD,
        hazard=hazard,
        description=description,
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        urgency=urgency,
        media=media,
    )


async def file_staff_ticket(
    session: AsyncSession,
    clock: Clock,
    *,
    community: Community,
    staff_person_id: int,
    kind: TicketKind,
    description: str,
    category: RepairCategory | None = None,
    hazard: HazardType | None = None,
    location_text: str,
    latitude: float | None = None,
    longitude: float | None = None,
    urgency: Urgency = Urgency.NORMAL,
    media: Sequence[MediaItem] = (),
) -> Ticket:
    """File a repair or hazard ticket reported by a staff member (the caller's
    transaction)."""
    if (kind == TicketKind.REPAIR) != (category is not None) or (
        (kind == TicketKind.HAZARD) != (hazard is not None)
    ):
        raise ValueError("a repair needs its category, a hazard its type")
    now = clock.now()
    description = clean_text(description, MAX_DESCRIPTION, "description", required=True)
    location_text = clean_text(location_text, MAX_LOCATION_TEXT, "location", required=False)
    validate_media(media)
    settings = ticket_settings(community)
    ticket = Ticket(
        community_id=community.id,
        number=await _next_number(session, community.id),
        kind=kind,
        category=category,
        hazard=hazard,
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        description=description,
        urgency=urgency,
        status=TicketStatus.NEW,
        media=[m.as_dict() for m in media],
        reporter_person_id=staff_person_id,
        created_at=now,
        updated_at=now,
        deadlines=[new_deadline_row(p) for p in plan_deadlines(settings, kind, urgency, now)],
        events=[],
    )
    record_event(ticket, TicketEventType.FILED, now, staff_person_id, by_staff=True)
    session.add(ticket)
    await session.flush()
    return ticket
