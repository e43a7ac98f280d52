"""A vote closed by a run that died before its admin-group post: the next run of
the votes job posts the result, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.community.models import VoteMatter
from core.community.votes import close_due, open_vote
from handlers.community.vote_jobs import run_votes


async def test_a_closed_vote_never_posted_is_posted_by_the_next_run(running_bot, world, session):
    now = datetime.now(UTC)
    vote, _ = await open_vote(
        session,
        community_id=world.community.id,
        person_id=None,
        question="Repaint the corridors?",
        matter=VoteMatter.ORDINARY,
        secret=False,
        building_ids=[],
        deadline=now - timedelta(minutes=1),
        now=now - timedelta(days=1),
        today=now.date(),
    )
    await session.commit()
    # The run that closed it died right after its commit: nothing was posted.
    assert [v.id for v in await close_due(session, now)] == [vote.id]
    await session.commit()
    await world.group.expect_nothing(within=0.2, text_contains="Result")

    assert await run_votes(running_bot.ctx) == []  # nothing left to close…
    posted = await world.group.expect(f"Result of owners' vote #{vote.id}")  # …but posted
    assert "Repaint the corridors?" in posted["text"]
    assert await run_votes(running_bot.ctx) == []
    await world.group.expect_nothing(within=0.3, text_contains="Result of owners' vote")
