"""When the monthly scorecard goes to residents, and to whom.

From 09:00 local time on the 1st to the 7th of a month, the previous month's
scorecard is due in every community whose office keeps records here (at least
one checkpoint or equipment item — a community without any would get a card of
dashes). A new deployment does not send old months: after the 7th nothing is
due. Recipients are the community's active residents with a Telegram account.
Each message is claimed before it is sent (:mod:`core.sends`, the key carries
the month and the person), so a second run or a second process sends nothing
twice and a run after a crash resumes with those not claimed yet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.equipment.models import Equipment
from core.models import Community, Person, Residency, Unit
from core.patrols.models import Checkpoint
from core.residency import active_residency_clause
from core.scorecard.figures import Scorecard, month_scorecard
from core.sends import is_claimed

PUBLISH_HOUR = 9
PUBLISH_WITHIN_DAYS = 7


def month_due(community: Community, now: datetime) -> date | None:
    """The first day of the month whose scorecard is due now, or None."""
    local = now.astimezone(ZoneInfo(community.timezone))
    if local.day > PUBLISH_WITHIN_DAYS or local.hour < PUBLISH_HOUR:
        return None
    return (local.date().replace(day=1) - timedelta(days=1)).replace(day=1)


def previous_month(now: datetime, tz: str) -> date:
    local = now.astimezone(ZoneInfo(tz)).date()
    return (local.replace(day=1) - timedelta(days=1)).replace(day=1)


async def communities_with_records(session: AsyncSession) -> list[Community]:
    rows = await session.scalars(
        select(Community)
        .where(
            or_(
                exists().where(Checkpoint.community_id == Community.id),
                exists().where(Equipment.community_id == Community.id),
            )
        )
        .order_by(Community.id)
    )
    return list(rows.all())


async def recipients(session: AsyncSession, community: Community, today: date) -> list[Person]:
    rows = await session.scalars(
        select(Person)
        .join(Residency, Residency.person_id == Person.id)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(
            Unit.community_id == community.id,
            active_residency_clause(today),
            Person.telegram_id.is_not(None),
        )
        .distinct()
        .order_by(Person.id)
    )
    return list(rows.all())


def send_key(community_id: int, month: date, person_id: int) -> str:
    return f"scorecard:{month:%Y-%m}:{community_id}:{person_id}"


async def last_month_scorecard(
    session: AsyncSession, community_id: int, now: datetime
) -> tuple[Community, Scorecard]:
    """The scorecard a resident opens from the menu: the previous month's."""
    community = await session.get(Community, community_id)
    assert community is not None
    month = previous_month(now, community.timezone)
    return community, await month_scorecard(session, community, month, now)


def summary_key(community_id: int, month: date) -> str:
    """The staff's summary of a month's publication, sent once it has gone to
    everyone: a later run finding it claimed has nothing left to do."""
    return f"scorecard:{month:%Y-%m}:{community_id}:summary"


async def published(session: AsyncSession, community_id: int, month: date) -> bool:
    return await is_claimed(session, summary_key(community_id, month))
