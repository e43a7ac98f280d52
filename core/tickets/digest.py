"""The morning digest's timing and its once-a-day claim.

A community's digest is due from its ``digest_hour`` (community time, see
:mod:`.deadlines`) for :data:`DIGEST_WINDOW`; a digest that could not go out in that
window (the bot was down all morning) is skipped rather than sent at tea time.
:func:`claim_digest` records the day first, so two processes — or a rerun after a
restart — never post the same day's digest twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community
from core.tickets.common import insert_for
from core.tickets.deadlines import ticket_settings
from core.tickets.models import Ticket, TicketDigest, TicketStatus

DIGEST_WINDOW = timedelta(hours=4)  # a digest later than this in the day is skipped


def digest_day(community: Community, now: datetime) -> date | None:
    """The community's local day whose digest is due at ``now``; None outside the window."""
    local = now.astimezone(ZoneInfo(community.timezone))
    hour = ticket_settings(community).digest_hour
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if start <= local < start + DIGEST_WINDOW:
        return local.date()
    return None


async def digest_communities(session: AsyncSession) -> list[Community]:
    """Communities with an admin group to post a digest in."""
    return list(
        (await session.scalars(select(Community).where(Community.admin_chat_id.is_not(None)))).all()
    )


async def claim_digest(session: AsyncSession, community_id: int, day: date, now: datetime) -> bool:
    """Mark the day's digest as sent; False when it already was (commit before posting)."""
    insert = insert_for(session)
    claimed = await session.scalar(
        insert(TicketDigest)
        .values(community_id=community_id, day=day, sent_at=now)
        .on_conflict_do_nothing(index_elements=["community_id", "day"])
        .returning(TicketDigest.community_id)
    )
    return claimed is not None


async def awaiting_confirmation(session: AsyncSession, community_id: int) -> int:
    """Resolved tickets the resident has neither confirmed nor reopened yet."""
    count = await session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.community_id == community_id, Ticket.status == TicketStatus.RESOLVED
        )
    )
    return int(count or 0)
