"""What a resident's fee screens (My bills, the accounts) read besides their bills."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community


async def communities_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Community]:
    if not ids:
        return {}
    rows = await session.scalars(select(Community).where(Community.id.in_(ids)))
    return {c.id: c for c in rows}


async def community_of(session: AsyncSession, community_id: int) -> Community:
    """A community a resident belongs to (their identity names it: it exists)."""
    community = await session.get(Community, community_id)
    assert community is not None
    return community
