"""Shifts outside any update (through the scheduler, on its leader only).

- Every minute, a staff member whose shift just ended is asked, in private, for
  the hand-over (/handover), once.
- Every minute, a hand-over nobody acknowledged within 30 minutes is sent to each
  manager, once; managers the bot cannot reach are named in the admin group.
"""

from __future__ import annotations

from functools import partial
from html import escape

from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.notify import send_to_person
from core.models import Community, Person
from core.scheduler import Scheduler
from core.shifts.service import ACK_MINUTES, claim_ended_shifts, claim_unacknowledged
from core.tickets.lookups import managers
from handlers.equipment.jobs import tell_managers


def _ask() -> str:
    return _("🔁 Your shift has ended. Please write the hand-over for the next shift: /handover")


def _alert(community: str, author: str) -> str:
    return _(
        "⏰ The hand-over from {name} in {community} has not been acknowledged for "
        "{minutes} minutes."
    ).format(name=escape(author), community=escape(community), minutes=ACK_MINUTES)


async def ask_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        shifts = await claim_ended_shifts(session, ctx.clock.now())
    if ctx.bot is not None:
        for shift in shifts:
            await send_to_person(ctx, shift.person, _ask)
    return len(shifts)


async def ack_alert_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        rows = await claim_unacknowledged(session, ctx.clock.now())
        plan = []
        for row in rows:
            community = await session.get(Community, row.community_id)
            author = await session.get(Person, row.from_person_id) if row.from_person_id else None
            assert community is not None
            plan.append((community, author, await managers(session, community.id)))
    if ctx.bot is None:
        return len(rows)
    for community, author, people in plan:
        text = partial(_alert, community.name, author.full_name if author else "—")
        await tell_managers(ctx, community, people, text)
    return len(rows)


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("shifts.ask", lambda: ask_job(ctx), 60)
    scheduler.add_periodic("shifts.ack_alert", lambda: ack_alert_job(ctx), 60)
