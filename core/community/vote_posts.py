"""The admin-group post of a closed vote's result, as a claimed send.

Closing a vote (its tally, the result to every owner) is one transaction; the
post in the admin group comes after it, claimed first (:mod:`core.sends`). A
process that dies between the two leaves a closed vote with no claim: the next
run of the votes job finds it here and posts it. A vote closed more than
:data:`WITHIN` ago is not posted any more (docs/decisions/0033-community-events.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.models import Vote, VoteStatus
from core.sends import SendClaim

WITHIN = timedelta(days=2)


def result_post_key(vote_id: int) -> str:
    return f"votes.result_post:{vote_id}"


async def unposted_results(session: AsyncSession, now: datetime) -> list[Vote]:
    """Votes closed lately whose admin-group post has not been claimed."""
    closed = list(
        await session.scalars(
            select(Vote)
            .where(Vote.status == VoteStatus.CLOSED, Vote.closed_at >= now - WITHIN)
            .order_by(Vote.id)
        )
    )
    keys = [result_post_key(v.id) for v in closed]
    claimed = set(await session.scalars(select(SendClaim.key).where(SendClaim.key.in_(keys))))
    return [v for v in closed if result_post_key(v.id) not in claimed]
