"""Who and what a ticket names, and the other rows the ticket chats look up by id.

- :func:`ticket_parties` — the community, unit label, reporter and assignee a ticket
  names, in one call, so a chat can show the ticket without querying anything itself;
- :func:`load_community` / :func:`load_person` — one row by id, or None when gone;
- :func:`community_names` — names for the filing's "common area — <community>" buttons.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.models import Community, Person, Unit
from core.tickets.models import Ticket


@dataclass(frozen=True)
class TicketParties:
    """The rows a ticket points at; ``unit_label`` like ``3栋-1201`` (None: common area
    or the unit is gone)."""

    community: Community
    unit_label: str | None
    reporter: Person | None
    assignee: Person | None


async def load_community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def load_person(session: AsyncSession, person_id: int | None) -> Person | None:
    return await session.get(Person, person_id) if person_id is not None else None


async def ticket_parties(session: AsyncSession, ticket: Ticket) -> TicketParties:
    community = await session.get(Community, ticket.community_id)
    assert community is not None  # the ticket's foreign key cascades from it
    unit = (
        await session.get(Unit, ticket.unit_id, options=[selectinload(Unit.building)])
        if ticket.unit_id is not None
        else None
    )
    return TicketParties(
        community,
        unit.label if unit is not None else None,
        await load_person(session, ticket.reporter_person_id),
        await load_person(session, ticket.assignee_person_id),
    )


async def community_names(session: AsyncSession, community_ids: Iterable[int]) -> dict[int, str]:
    ids = set(community_ids)
    if not ids:
        return {}
    rows = (
        await session.execute(select(Community.id, Community.name).where(Community.id.in_(ids)))
    ).all()
    return {row[0]: row[1] for row in rows}
