"""Maintenance work outside any update (through the scheduler, on its leader only).

- Every ten minutes: the plans' tasks of the current period are made (once each)
  and every open task whose card is not in the admin group yet is posted there,
  with its checklist and the "Done" button.
- Every ten minutes: a task past its due day is warned about in the admin group
  once; still open :data:`core.equipment.plans.ESCALATE_AFTER_DAYS` later, it is
  escalated to each manager in private once (managers the bot cannot reach are
  named in the group).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape

from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from core.equipment.models import MaintenanceTask
from core.equipment.plans import (
    OverdueNotice,
    get_task,
    make_due_tasks,
    mark_posted,
    overdue_notices,
    unposted_tasks,
)
from core.formatting import fmt_date
from core.models import Community, Person
from core.scheduler import Scheduler
from core.tickets.lookups import managers
from handlers.equipment.tasks import done_keyboard
from handlers.equipment.texts import item_line, task_card


async def tasks_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        await make_due_tasks(session, ctx.clock.now())
    if ctx.bot is None:
        return 0
    posted = 0
    async with ctx.session_factory() as session:
        ids = [task.id for task in await unposted_tasks(session)]
    for task_id in ids:
        # One task per transaction: no lock is held across the other tasks' sends.
        async with ctx.session_factory.begin() as session:
            task = await get_task(session, task_id)
            community = await session.get(Community, task.community_id) if task else None
            if task is None or community is None or task.card_message_id is not None:
                continue
            locale = community.locale or ctx.settings.default_locale
            delivery = await send_to_admin_group(
                ctx,
                community,
                partial(task_card, task, locale),
                reply_markup=partial(done_keyboard, task.id),
            )
            if delivery.ok:
                await mark_posted(session, task.id, delivery.result.message_id)
                posted += 1
    return posted


def _warning(task: MaintenanceTask, locale: str) -> str:
    return _("⚠️ Maintenance overdue since {day}: {item}").format(
        day=fmt_date(task.due_on, locale), item=item_line(task.equipment)
    )


def _escalation(notice: OverdueNotice, locale: str) -> str:
    return _(
        "🚨 Maintenance still not done in {community}, due {day}: {item}. Please see to it."
    ).format(
        community=escape(notice.community.name),
        day=fmt_date(notice.task.due_on, locale),
        item=item_line(notice.task.equipment),
    )


def _unreached(names: list[str], build: Callable[[], str]) -> str:
    heading = _("Managers the bot could not reach: {names}").format(names=escape("、".join(names)))
    return heading + "\n" + build()


async def tell_managers(
    ctx: AppContext, community: Community, people: list[Person], build: Callable[[], str]
) -> None:
    """``build`` to each manager in private (in their language); those the bot cannot
    reach are named in the admin group, with the message they missed."""
    unreached = []
    for person in people:
        if not (await send_to_person(ctx, person, build)).ok:
            unreached.append(person.full_name)
    if unreached:
        await send_to_admin_group(ctx, community, partial(_unreached, unreached, build))


async def overdue_job(ctx: AppContext) -> int:
    # Stamped and committed before anyone is told: a second run never tells twice.
    async with ctx.session_factory.begin() as session:
        notices = await overdue_notices(session, ctx.clock.now())
        people = {n.task.id: await managers(session, n.community.id) for n in notices if n.escalate}
    if ctx.bot is None:
        return len(notices)
    for notice in notices:
        locale = notice.community.locale or ctx.settings.default_locale
        if not notice.escalate:
            await send_to_admin_group(ctx, notice.community, partial(_warning, notice.task, locale))
            continue
        await tell_managers(
            ctx, notice.community, people[notice.task.id], partial(_escalation, notice, locale)
        )
    return len(notices)


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("equipment.tasks", lambda: tasks_job(ctx), 600)
    scheduler.add_periodic("equipment.overdue", lambda: overdue_job(ctx), 600)
