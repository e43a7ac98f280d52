"""Whose bills they are: a bill belongs to whoever lived in the home in its period.

A resident who moved in on 3 December owes December on, not the November the
previous occupant left unpaid; that debt stays with the home for the office to
collect (/overdue shows a home no reminder reached). A residency with no start
date (recorded before start dates were kept) answers for every bill.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.models import Bill
from core.models import Person, Residency, ResidencyRole
from core.residency import active_residency_clause


def first_period(start: date | None) -> str | None:
    """The first billing period (``YYYY-MM``) a residency starting on ``start`` answers for."""
    return None if start is None else f"{start:%Y-%m}"


def is_theirs(period: str, since: str | None) -> bool:
    return since is None or period >= since


def their_bills(bills: Iterable[Bill], since: str | None) -> list[Bill]:
    return [b for b in bills if is_theirs(b.period, since)]


async def periods_since(
    session: AsyncSession, residency_ids: Sequence[int]
) -> dict[int, str | None]:
    """The first period each residency answers for, by residency id."""
    if not residency_ids:
        return {}
    rows = await session.execute(
        select(Residency.id, Residency.start_date).where(Residency.id.in_(residency_ids))
    )
    return {rid: first_period(start) for rid, start in rows.all()}


async def payers_since(
    session: AsyncSession, unit_id: int, today: date
) -> list[tuple[Person, str | None]]:
    """The unit's active owners and tenants who can be messaged, each with the first
    period they answer for (the earliest start, when one has two residencies)."""
    rows = await session.execute(
        select(Person, Residency.start_date)
        .join(Residency, Residency.person_id == Person.id)
        .where(
            active_residency_clause(today, unit_id=unit_id),
            Residency.role.in_([ResidencyRole.OWNER, ResidencyRole.TENANT]),
            Person.telegram_id.is_not(None),
        )
        .order_by(Person.id)
    )
    found: dict[int, tuple[Person, str | None]] = {}
    for person, start in rows.all():
        since = first_period(start)
        if person.id in found:
            earlier = found[person.id][1]
            since = None if since is None or earlier is None else min(since, earlier)
        found[person.id] = (person, since)
    return list(found.values())
