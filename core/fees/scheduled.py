"""What the fees jobs ask the database: where bills are due, which bills to remind of.

The jobs (handlers/fees/jobs.py, handlers/fees/reminders.py) run these on a timer;
each answer is computed from what the database recorded, so a restart loses
nothing and a second run does nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.billing import GenerationResult, apply_late_fees, generate_bills, has_run
from core.fees.common import Period, fees_config, local_today
from core.fees.models import Bill, BillStatus, FeeItem, FeeReminder
from core.models import Community

# Bills are generated on the first day of the period; the job catches up on a
# missed day (the bot was down) during the first week only.
GENERATE_WITHIN_DAYS = 7


# --- bills and late fees ------------------------------------------------------------------


async def communities_with_fees(session: AsyncSession) -> list[Community]:
    """Communities with at least one active fee item."""
    rows = await session.scalars(
        select(Community).where(
            Community.id.in_(select(FeeItem.community_id).where(FeeItem.active))
        )
    )
    return list(rows.all())


async def bill_due_period(
    session: AsyncSession, community: Community, *, now: datetime
) -> GenerationResult | None:
    """Generate this period's bills if it is early in the period and they were
    not generated yet (None otherwise), then charge the late fees now due."""
    today = local_today(community, now)
    period = Period.of(today)
    result = None
    # Only early in the period: a schedule set up mid-month starts with the
    # next period (staff can still run /bills_generate for this one).
    if today.day <= GENERATE_WITHIN_DAYS and not await has_run(session, community.id, period):
        result = await generate_bills(session, community, period, now=now, trigger="schedule")
    await apply_late_fees(session, community, now=now)
    return result


# --- reminders ----------------------------------------------------------------------------


async def communities_with_open_bills(session: AsyncSession) -> list[Community]:
    rows = await session.scalars(
        select(Community).where(
            Community.id.in_(select(Bill.community_id).where(Bill.status == BillStatus.OPEN))
        )
    )
    return list(rows.all())


async def bills_to_remind(
    session: AsyncSession, community: Community, *, now: datetime
) -> dict[int, list[Bill]]:
    """Unpaid bills due within the community's ``remind_before_days`` (or overdue)
    whose last reminder is older than ``reminder_every_days``, by unit, oldest first."""
    cfg = fees_config(community)
    horizon = local_today(community, now) + timedelta(days=int(cfg["remind_before_days"]))
    quiet_since = now - timedelta(days=int(cfg["reminder_every_days"]))
    last = (
        select(FeeReminder.bill_id, func.max(FeeReminder.sent_at).label("last"))
        .group_by(FeeReminder.bill_id)
        .subquery()
    )
    bills = await session.scalars(
        select(Bill)
        .outerjoin(last, last.c.bill_id == Bill.id)
        .where(
            Bill.community_id == community.id,
            Bill.status == BillStatus.OPEN,
            Bill.due_date <= horizon,
            (last.c.last.is_(None)) | (last.c.last < quiet_since),
        )
        .order_by(Bill.unit_id, Bill.period)
    )
    by_unit: dict[int, list[Bill]] = defaultdict(list)
    for bill in bills.all():
        if bill.outstanding_minor > 0:
            by_unit[bill.unit_id].append(bill)
    return dict(by_unit)


async def record_reminders(
    session: AsyncSession,
    bills: Sequence[Bill],
    *,
    today: date,
    recipients: int,
    delivered: int,
    now: datetime,
) -> None:
    """One reminder row per bill: the next one waits ``reminder_every_days``."""
    for bill in bills:
        session.add(
            FeeReminder(
                bill_id=bill.id,
                kind="overdue" if bill.due_date < today else "before_due",
                recipients=recipients,
                delivered=delivered,
                sent_at=now,
            )
        )
