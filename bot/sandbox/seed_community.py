"""The sandbox's community life: an outage notice for the first building, an open
owners' vote for the whole community and a community event three days ahead,
written through the same services staff use in the admin group. The delivery job
sends them once the sandbox runs; residents find them in their chat and under
"📢 Notices" / "🗳 Votes" / "🎉 Events".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.blueprint import Language
from core.community.events import EventDraft, post_event
from core.community.models import Audience, NoticeKind, VoteMatter
from core.community.notices import NoticeDraft, buildings_by_name, create_notice
from core.community.votes import open_vote, owners_of, vote_notice
from core.models import Community, Person

TEXTS = {
    "zh_Hans": {
        "title": "{building}明日停水",
        "body": "因二次供水管道检修，{building}明天上午 9 点至下午 5 点停水，请提前储水。",
        "question": "是否同意明年春季重新粉刷各楼栋楼道？",
        "event": "邻里包饺子之夜",
        "event_text": "一起包饺子、聊聊天。面粉和馅料由物业准备，欢迎带上孩子。",
        "place": "会所二楼活动室",
    },
    "en": {
        "title": "Water off in {building} tomorrow",
        "body": "The water supply pipes are serviced: no water in {building} tomorrow "
        "from 9:00 to 17:00. Please store some water beforehand.",
        "question": "Shall the corridors of every building be repainted next spring?",
        "event": "Dumpling night for neighbours",
        "event_text": "Make dumplings together and meet the neighbours. Flour and fillings "
        "are provided; children are welcome.",
        "place": "Clubhouse, 2nd floor",
    },
}


async def seed_community(
    session: AsyncSession,
    community: Community,
    manager: Person,
    *,
    now: datetime,
    today: date,
    language: Language,
) -> None:
    texts = TEXTS[language]
    buildings = await buildings_by_name(session, community.id)
    first = sorted(buildings)[0]
    zone = ZoneInfo(community.timezone)
    start = datetime.combine(today + timedelta(days=1), time(9), zone)
    draft = NoticeDraft(
        kind=NoticeKind.OUTAGE,
        audience=Audience.ALL,
        title=texts["title"].format(building=first),
        body=texts["body"].format(building=first),
        building_ids=[buildings[first].id],
        starts_at=start,
        ends_at=start + timedelta(hours=8),
    )
    await create_notice(
        session,
        community_id=community.id,
        author_person_id=manager.id,
        draft=draft,
        send_at=now,
        now=now,
        today=today,
    )
    vote, _ = await open_vote(
        session,
        community_id=community.id,
        person_id=manager.id,
        question=texts["question"],
        matter=VoteMatter.ORDINARY,
        secret=False,
        building_ids=[],
        deadline=now + timedelta(days=7),
        now=now,
        today=today,
    )
    owners = await owners_of(session, vote, today)
    await vote_notice(session, vote, NoticeKind.VOTE_OPEN, owners, now=now, today=today)
    await post_event(
        session,
        community_id=community.id,
        author_person_id=manager.id,
        draft=EventDraft(
            title=texts["event"],
            description=texts["event_text"],
            place=texts["place"],
            starts_at=datetime.combine(today + timedelta(days=3), time(19), zone),
            capacity=6,
        ),
        now=now,
        today=today,
    )
