"""Filing a ticket: the resident's units, the daily limit, the community's next
number, the media rule, and :func:`file_ticket` itself (the ticket, its first event
and its deadlines in one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.clock import Clock
from core.models import (
    Community,
    Residency,
    Unit,
)
from core.residency import active_residency_clause
from core.tickets.common import (
    MAX_DESCRIPTION,
    MAX_LOCATION_TEXT,
    MAX_PHOTOS,
    MAX_VIDEOS,
    MIN_DESCRIPTION,
    DailyLimitReached,
    InvalidTicketData,
    NotResident,
    clean_text,
    insert_for,
    record_event,
)
from core.tickets.deadlines import (
    new_deadline_row,
    plan_deadlines,
    ticket_settings,
)
from core.tickets.models import (
    PLACED_KINDS,
    HazardType,
    RepairCategory,
    Ticket,
    TicketCounter,
    TicketEventType,
    TicketKind,
    TicketStatus,
    Urgency,
)


def local_day_start(now: datetime, tz: str) -> datetime:
    """Midnight of ``now``'s day in the community's time zone, as an aware datetime."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


async def filed_today(
    session: AsyncSession, community: Community, person_id: int, now: datetime
) -> int:
    count = await session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.community_id == community.id,
            Ticket.reporter_person_id == person_id,
            Ticket.created_at >= local_day_start(now, community.timezone),
        )
    )
    return int(count or 0)


async def check_daily_limit(
    session: AsyncSession, clock: Clock, community: Community, person_id: int
) -> None:
    """Raise :class:`DailyLimitReached` when the person has filed today's maximum."""
    limit = ticket_settings(community).daily_limit
    if await filed_today(session, community, person_id, clock.now()) >= limit:
        raise DailyLimitReached(limit)


async def resident_units(
    session: AsyncSession, person_id: int, community_id: int | None = None
) -> list[Unit]:
    query = (
        select(Unit)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(active_residency_clause(person_id=person_id))
        .options(selectinload(Unit.building))
        .order_by(Unit.id)
    )
    if community_id is not None:
        query = query.where(Unit.community_id == community_id)
    return list((await session.scalars(query)).unique().all())


async def _next_number(session: AsyncSession, community_id: int) -> int:
    """The next ticket number of the community.

    The UPDATE takes the counter row's lock until commit, so concurrent filings
    in one community are numbered (and their daily limits counted) one at a time.
    """
    insert = insert_for(session)
    await session.execute(
        insert(TicketCounter)
        .values(community_id=community_id, last_number=0)
        .on_conflict_do_nothing(index_elements=[TicketCounter.community_id])
    )
    number = await session.scalar(
        update(TicketCounter)
        .where(TicketCounter.community_id == community_id)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    )
    assert number is not None
    return int(number)


@dataclass(frozen=True)
class MediaItem:
    type: str  # "photo" | "video"
    file_id: str
    file_unique_id: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "file_id": self.file_id, "file_unique_id": self.file_unique_id}


def validate_media(media: Sequence[MediaItem]) -> None:
    photos = sum(1 for m in media if m.type == "photo")
    videos = sum(1 for m in media if m.type == "video")
    if photos + videos != len(media):
        raise InvalidTicketData("media", "only photos and videos")
    if videos and photos:
        raise InvalidTicketData("media", "photos or a video, not both")
    if photos > MAX_PHOTOS or videos > MAX_VIDEOS:
        raise InvalidTicketData("media", "too many")


async def file_ticket(
    session: AsyncSession,
    clock: Clock,
    *,
    community: Community,
    reporter_person_id: int,
    kind: TicketKind,
    description: str,
    urgency: Urgency = Urgency.NORMAL,
    category: RepairCategory | None = None,
    hazard: HazardType | None = None,
    unit_id: int | None = None,
    location_text: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    media: Sequence[MediaItem] = (),
) -> Ticket:
    """File a ticket for an active resident of ``community`` and plan its deadlines."""
    now = clock.now()
    description = clean_text(description, MAX_DESCRIPTION, "description", required=True)
    if len(description) < MIN_DESCRIPTION:
        raise InvalidTicketData("description", "too short")
    location_text = clean_text(location_text, MAX_LOCATION_TEXT, "location", required=False)
    if kind == TicketKind.REPAIR and category is None:
        raise InvalidTicketData("category", "required for repairs")
    if kind != TicketKind.REPAIR:
        category = None
    if kind == TicketKind.HAZARD and hazard is None:
        raise InvalidTicketData("hazard", "required for hazard reports")
    if kind != TicketKind.HAZARD:
        hazard = None
    if (latitude is None) != (longitude is None):
        raise InvalidTicketData("location", "latitude and longitude go together")
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise InvalidTicketData("location", "coordinates out of range")
    validate_media(media)

    units = await resident_units(session, reporter_person_id, community.id)
    if not units:
        raise NotResident()
    if unit_id is not None:
        if unit_id not in {u.id for u in units}:
            raise NotResident()
    elif kind in PLACED_KINDS and not (location_text or latitude is not None):
        raise InvalidTicketData("location", "a unit or a common-area location is required")

    settings = ticket_settings(community)
    # Checked before numbering (no number is burnt on a refusal) and again once
    # the counter row is locked (two filings at the same moment).
    if await filed_today(session, community, reporter_person_id, now) >= settings.daily_limit:
        raise DailyLimitReached(settings.daily_limit)
    number = await _next_number(session, community.id)
    if await filed_today(session, community, reporter_person_id, now) >= settings.daily_limit:
        raise DailyLimitReached(settings.daily_limit)

    ticket = Ticket(
        community_id=community.id,
        number=number,
        kind=kind,
        category=category,
        hazard=hazard,
        unit_id=unit_id,
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        description=description,
        urgency=urgency,
        status=TicketStatus.NEW,
        media=[m.as_dict() for m in media],
        reporter_person_id=reporter_person_id,
        created_at=now,
        updated_at=now,
        deadlines=[new_deadline_row(p) for p in plan_deadlines(settings, kind, urgency, now)],
        events=[],
    )
    record_event(ticket, TicketEventType.FILED, now, reporter_person_id)
    session.add(ticket)
    await session.flush()
    return ticket
