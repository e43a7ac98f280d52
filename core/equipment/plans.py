"""Maintenance plans and the tasks they make, period by period.

A plan's period is the ISO week, the month, the quarter or the year containing
the community's local date; its task for an item is due on the period's last day.
:func:`make_due_tasks` (the scheduler) makes the current period's task for every
item a plan covers, once: (plan, item, period) is unique. :func:`overdue_notices`
stamps tasks past due — a warning the day after, an escalation to the managers
:data:`ESCALATE_AFTER_DAYS` later — each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.audit import record_audit
from core.equipment.ledger import EquipmentError
from core.equipment.models import (
    Equipment,
    Frequency,
    MaintenancePlan,
    MaintenanceTask,
    TaskStatus,
)
from core.models import Community

ESCALATE_AFTER_DAYS = 2
MAX_CHECKLIST = 12


def period_of(day: date, frequency: Frequency) -> tuple[str, date]:
    """(period key, last day of the period) containing ``day``."""
    if frequency == Frequency.WEEKLY:
        year, week, weekday = day.isocalendar()
        return f"{year}-W{week:02d}", day + timedelta(days=7 - weekday)
    if frequency == Frequency.YEARLY:
        return f"{day.year}", date(day.year, 12, 31)
    if frequency == Frequency.QUARTERLY:
        quarter = (day.month - 1) // 3 + 1
        last_month = quarter * 3
        key = f"{day.year}-Q{quarter}"
    else:
        last_month = day.month
        key = f"{day.year}-{day.month:02d}"
    following = date(day.year + last_month // 12, last_month % 12 + 1, 1)
    return key, following - timedelta(days=1)


def parse_checklist(text: str) -> list[str]:
    items = [part.strip() for part in text.replace("；", ";").split(";")]
    return [item[:120] for item in items if item][:MAX_CHECKLIST]


async def add_plan(
    session: AsyncSession,
    community: Community,
    *,
    target: str,
    frequency: Frequency,
    checklist: list[str],
    actor_person_id: int | None,
) -> tuple[MaintenancePlan, int]:
    """A plan for item number ``target`` ("#3" or "3") or for every item of kind
    ``target``; returns it with the number of items it covers now."""
    if not checklist:
        raise EquipmentError("empty_checklist")
    number = target.lstrip("#")
    plan = MaintenancePlan(
        community_id=community.id,
        frequency=frequency,
        checklist=checklist,
        created_by_person_id=actor_person_id,
    )
    if number.isdigit():
        item = await session.get(Equipment, int(number))
        if item is None or item.community_id != community.id or not item.active:
            raise EquipmentError("unknown_item")
        plan.equipment_id = item.id
    else:
        plan.kind = target.lower()
    covered = len(await _covered(session, plan))
    if covered == 0:
        raise EquipmentError("no_items")  # nothing was added
    session.add(plan)
    await session.flush()
    await record_audit(
        session,
        "equipment.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="maintenance_plan",
        target_id=plan.id,
        details={"target": target, "frequency": frequency.value, "items": covered},
    )
    return plan, covered


async def _covered(session: AsyncSession, plan: MaintenancePlan) -> list[Equipment]:
    query = select(Equipment).where(
        Equipment.community_id == plan.community_id, Equipment.active.is_(True)
    )
    if plan.equipment_id is not None:
        query = query.where(Equipment.id == plan.equipment_id)
    else:
        query = query.where(Equipment.kind == plan.kind)
    return list((await session.scalars(query.order_by(Equipment.id))).all())


async def make_due_tasks(session: AsyncSession, now: datetime) -> list[MaintenanceTask]:
    """This period's task for every item of every active plan, made once each."""
    made: list[MaintenanceTask] = []
    plans = (await session.scalars(select(MaintenancePlan).where(MaintenancePlan.active))).all()
    for plan in plans:
        community = await session.get(Community, plan.community_id)
        assert community is not None
        today = now.astimezone(ZoneInfo(community.timezone)).date()
        period, due = period_of(today, plan.frequency)
        for item in await _covered(session, plan):
            exists = await session.scalar(
                select(MaintenanceTask.id).where(
                    MaintenanceTask.plan_id == plan.id,
                    MaintenanceTask.equipment_id == item.id,
                    MaintenanceTask.period == period,
                )
            )
            if exists is not None:
                continue
            task = MaintenanceTask(
                community_id=plan.community_id,
                plan_id=plan.id,
                equipment_id=item.id,
                period=period,
                due_on=due,
                checklist=list(plan.checklist),
                created_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(task)
            except IntegrityError:
                continue  # made meanwhile by another process
            task.equipment = item
            made.append(task)
    return made


async def get_task(session: AsyncSession, task_id: int) -> MaintenanceTask | None:
    return await session.scalar(
        select(MaintenanceTask)
        .where(MaintenanceTask.id == task_id)
        .options(selectinload(MaintenanceTask.equipment))
    )


async def complete_task(
    session: AsyncSession,
    task_id: int,
    community_id: int,
    *,
    person_id: int | None,
    now: datetime,
    notes: str,
    photo_file_id: str | None,
) -> MaintenanceTask:
    """Mark the task done with its notes and photo (once: a second "done" is refused)."""
    task = await get_task(session, task_id)
    if task is None or task.community_id != community_id:
        raise EquipmentError("unknown_task")
    done = await session.execute(
        update(MaintenanceTask)
        .where(MaintenanceTask.id == task_id, MaintenanceTask.status == TaskStatus.OPEN)
        .values(
            status=TaskStatus.DONE,
            done_at=now,
            done_by_person_id=person_id,
            notes=notes,
            photo_file_id=photo_file_id,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise EquipmentError("already_done")
    await session.refresh(task)
    await record_audit(
        session,
        "equipment.task_done",
        community_id=community_id,
        actor_person_id=person_id,
        target_type="maintenance_task",
        target_id=task_id,
        details={"photo": photo_file_id is not None},
    )
    return task


@dataclass(frozen=True)
class OverdueNotice:
    task: MaintenanceTask
    community: Community
    escalate: bool  # False: the warning in the admin group; True: to the managers


async def overdue_notices(session: AsyncSession, now: datetime) -> list[OverdueNotice]:
    """Open tasks past due not yet warned, or warned and due for escalation; each
    stamped here (the caller commits before telling anyone)."""
    notices: list[OverdueNotice] = []
    open_tasks = (
        await session.scalars(
            select(MaintenanceTask)
            .where(
                MaintenanceTask.status == TaskStatus.OPEN,
                or_(MaintenanceTask.warned_at.is_(None), MaintenanceTask.escalated_at.is_(None)),
            )
            .options(selectinload(MaintenanceTask.equipment))
            .order_by(MaintenanceTask.id)
        )
    ).all()
    for task in open_tasks:
        community = await session.get(Community, task.community_id)
        assert community is not None
        today = now.astimezone(ZoneInfo(community.timezone)).date()
        if today <= task.due_on:
            continue
        if task.warned_at is None:
            column, escalate = MaintenanceTask.warned_at, False
        elif today > task.due_on + timedelta(days=ESCALATE_AFTER_DAYS):
            column, escalate = MaintenanceTask.escalated_at, True
        else:
            continue
        stamped = await session.execute(
            update(MaintenanceTask)
            .where(MaintenanceTask.id == task.id, column.is_(None))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        if getattr(stamped, "rowcount", 0) == 1:
            notices.append(OverdueNotice(task, community, escalate))
    return notices


async def mark_posted(session: AsyncSession, task_id: int, message_id: int) -> None:
    await session.execute(
        update(MaintenanceTask)
        .where(MaintenanceTask.id == task_id)
        .values(card_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


async def unposted_tasks(session: AsyncSession, limit: int = 50) -> list[MaintenanceTask]:
    """Open tasks whose card is not in the admin group yet (no group, or Telegram failed)."""
    return list(
        (
            await session.scalars(
                select(MaintenanceTask)
                .where(
                    MaintenanceTask.status == TaskStatus.OPEN,
                    MaintenanceTask.card_message_id.is_(None),
                )
                .options(selectinload(MaintenanceTask.equipment))
                .order_by(MaintenanceTask.id)
                .limit(limit)
            )
        ).all()
    )
