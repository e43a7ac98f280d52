"""A person's community data for /privacy: their ballots (their own choices, even in
secret votes: it is their data) and the notices they were sent; erasure keeps
every ballot and delivery counted but drops the link to the person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.models import Ballot, Notice, NoticeDelivery, Phase, Vote
from core.models import Building, Unit
from core.privacy import export_time


async def personal_community_data(session: AsyncSession, person_id: int) -> dict[str, Any]:
    ballots = await session.execute(
        select(Vote.id, Vote.question, Building.name, Unit.number, Ballot.choice, Ballot.cast_at)
        .join(Vote, Vote.id == Ballot.vote_id)
        .join(Unit, Unit.id == Ballot.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Ballot.cast_by_person_id == person_id)
        .order_by(Ballot.cast_at)
    )
    notices = await session.execute(
        select(Notice.id, Notice.title, NoticeDelivery.sent_at, NoticeDelivery.read_at)
        .join(Notice, Notice.id == NoticeDelivery.notice_id)
        .where(NoticeDelivery.person_id == person_id, NoticeDelivery.phase == Phase.NOTICE)
        .order_by(Notice.id)
    )
    return {
        "ballots": [
            {
                "vote": vote_id,
                "question": question,
                "unit": f"{building}-{number}",
                "choice": str(choice),
                "cast_at": export_time(cast_at),
            }
            for vote_id, question, building, number, choice, cast_at in ballots.all()
        ],
        "notices": [
            {
                "notice": notice_id,
                "title": title,
                "sent_at": export_time(sent_at),
                "read_at": export_time(read_at),
            }
            for notice_id, title, sent_at, read_at in notices.all()
        ],
    }


async def erase_community_links(session: AsyncSession, person_id: int) -> None:
    await session.execute(
        update(Ballot).where(Ballot.cast_by_person_id == person_id).values(cast_by_person_id=None)
    )
    await session.execute(
        update(NoticeDelivery).where(NoticeDelivery.person_id == person_id).values(person_id=None)
    )
