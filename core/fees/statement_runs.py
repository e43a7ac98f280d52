"""Publishing the six-monthly statement of accounts to every resident.

A statement run is recorded once per community, period and trigger
(:class:`~core.fees.models.FeeStatement`), with one outbox message per active
resident in the same transaction; the outbox worker delivers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees import outbox
from core.fees.accounts import half_year_bounds
from core.fees.common import in_quiet_hours, local_today
from core.fees.models import FeeStatement
from core.models import Community, Person, Residency, Unit
from core.residency import active_residency_clause

STATEMENT = "statement"  # the outbox kind
# Statements go out in the first two weeks of January and July (a missed day is
# caught up); residents ask for any other period with /accounts.
PUBLISH_WITHIN_DAYS = 14


def statement_due(community: Community, now: datetime) -> tuple[date, date] | None:
    """The half-year whose statement goes out now ([start, end)), or None: outside
    the first :data:`PUBLISH_WITHIN_DAYS` days of a half-year (a new deployment
    does not send old statements) and in the community's quiet hours."""
    if in_quiet_hours(community, now):
        return None
    today = local_today(community, now)
    start, end = half_year_bounds(today, previous=True)
    if (today - end).days >= PUBLISH_WITHIN_DAYS:
        return None
    return start, end


async def publish_statement(
    session: AsyncSession,
    community: Community,
    start: date,
    end: date,
    *,
    trigger: str,
    now: datetime,
    actor_person_id: int | None = None,
) -> int:
    """Record the run and queue the statement for every active resident with a
    Telegram account; 0 when this period and trigger were published already."""
    exists = await session.scalar(
        select(func.count())
        .select_from(FeeStatement)
        .where(
            FeeStatement.community_id == community.id,
            FeeStatement.period_start == start,
            FeeStatement.period_end == end,
            FeeStatement.trigger == trigger,
        )
    )
    if exists:
        return 0
    today = local_today(community, now)
    people = (
        await session.scalars(
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
    ).all()
    statement = FeeStatement(
        community_id=community.id,
        period_start=start,
        period_end=end,
        trigger=trigger,
        recipients=len(people),
        actor_person_id=actor_person_id,
        created_at=now,
    )
    session.add(statement)
    await session.flush()
    for person in people:
        assert person.telegram_id is not None
        await outbox.enqueue(
            session,
            kind=STATEMENT,
            community_id=community.id,
            person_id=person.id,
            chat_id=person.telegram_id,
            dedupe_key=f"statement:{statement.id}:{person.telegram_id}",
            payload={"statement_id": statement.id},
            now=now,
        )
    return len(people)


@dataclass(frozen=True)
class StatementDelivery:
    statement: FeeStatement
    community: Community
    person: Person | None


async def statement_delivery(
    session: AsyncSession, statement_id: int, community_id: int, person_id: int | None
) -> StatementDelivery | None:
    """What one queued statement message needs (None when the run is gone)."""
    statement = await session.get(FeeStatement, statement_id)
    community = await session.get(Community, community_id)
    if statement is None or community is None:
        return None
    person = await session.get(Person, person_id) if person_id else None
    return StatementDelivery(statement, community, person)
