"""A daily-help pass's yearly renewal (decision 0031).

A daily-help pass runs :data:`~access.passes.rules.DAILY_HELP_SPAN` from its making,
so a nanny who stopped working for a household does not keep a code for ever; the
households say once a year that she still comes.

- :func:`renewals_due` — passes ending within
  :data:`~access.passes.rules.RENEW_REMIND_BEFORE`, whose households the reminder job
  tells, each message claimed once (core.sends, keyed by the pass's end).
- :func:`renew_daily_help` — a household that keeps the pass renews it in its last
  :data:`~access.passes.rules.RENEW_WINDOW`, for another span from its end; two
  presses (of one household or of two) renew it once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import Pass, PassKind, PassStatus
from access.passes.rules import DAILY_HELP_SPAN, RENEW_REMIND_BEFORE, RENEW_WINDOW, PassError
from access.passes.shared import Household, household_link


def renewable(row: Pass, now: datetime) -> bool:
    """Whether the pass is in the last part of its span, when it may be renewed."""
    return now < row.valid_until <= now + RENEW_WINDOW


async def renew_daily_help(
    session: AsyncSession, *, person_id: int, pass_id: int, now: datetime, today: date
) -> Household:
    """Renew the pass for another span from its end; ``not_renewable_yet`` before its
    last :data:`RENEW_WINDOW` (then it was renewed already, or is new)."""
    found = await household_link(session, person_id, pass_id, today)
    row = found.pass_
    if not renewable(row, now):
        raise PassError("not_renewable_yet")
    result = await session.execute(
        update(Pass)
        .where(
            Pass.id == row.id,
            Pass.status == PassStatus.ACTIVE,
            Pass.valid_until == row.valid_until,  # a press racing this one renewed it
        )
        .values(valid_until=row.valid_until + DAILY_HELP_SPAN)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PassError("not_renewable_yet")
    await session.refresh(row)
    return found


async def renewals_due(session: AsyncSession, now: datetime) -> list[Pass]:
    """Active daily-help passes ending within :data:`RENEW_REMIND_BEFORE`."""
    rows = await session.scalars(
        select(Pass).where(
            Pass.kind == PassKind.DAILY_HELP,
            Pass.status == PassStatus.ACTIVE,
            Pass.valid_until > now,
            Pass.valid_until <= now + RENEW_REMIND_BEFORE,
        )
    )
    return list(rows.all())
