"""Scheduled ticket work besides deadlines (:mod:`.deadline_jobs`): the morning
digest, auto-closing resolved tickets, publishing tickets the group has not seen
yet, and purging abandoned filing drafts.

Each job asks the database what is due and marks what it did, so running a job
twice, or after a restart, never repeats a notice. The functions take the
:class:`AppContext` and can be called directly (tests do, with a frozen clock).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from functools import partial

from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group
from core.db import transaction
from core.models import Community
from core.scheduler import Scheduler
from core.tickets import digest, service
from core.tickets.deadlines import ticket_settings
from core.tickets.models import TicketStatus
from handlers.kit import group_locale
from handlers.tickets.deadline_jobs import run_deadline_checks
from handlers.tickets.group import post_in_ticket, publish_once, sync_group
from handlers.tickets.labels import ticket_ref
from handlers.tickets.notices import notify_resident
from handlers.tickets.sizes import fit_lines
from handlers.tickets.views import load_view, overdue_report, ticket_line

log = logging.getLogger(__name__)


def register_ticket_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("tickets.deadlines", lambda: run_deadline_checks(ctx), 30)
    scheduler.add_periodic("tickets.publish", lambda: run_publisher(ctx), 60)
    scheduler.add_periodic("tickets.digest", lambda: run_morning_digest(ctx), 300)
    scheduler.add_periodic("tickets.autoclose", lambda: run_auto_close(ctx), 900)
    scheduler.add_periodic("tickets.drafts", lambda: purge_drafts(ctx), 3600)


# -------------------------------------------------------------- auto-close


async def run_auto_close(ctx: AppContext) -> int:
    """Close tickets resolved N days ago that the resident never confirmed."""
    with ctx.i18n.context():
        async with ctx.session_factory() as session:
            due = [t.id for t in await service.auto_close_candidates(session, ctx.clock)]
        closed = 0
        for ticket_id in due:
            # Closed in a transaction of its own, then told: a press on the resident's
            # old "resolved" buttons finds it closed.
            try:
                async with transaction(ctx.session_factory) as session:
                    await service.auto_close(
                        session, ctx.clock, await service.get_ticket(session, ticket_id)
                    )
            except service.TicketError:
                continue  # the resident answered meanwhile
            closed += 1
            async with transaction(ctx.session_factory) as session:
                await _tell_auto_closed(ctx, session, ticket_id)
        return closed


async def _tell_auto_closed(ctx: AppContext, session: AsyncSession, ticket_id: int) -> None:
    view = await load_view(session, await service.get_ticket(session, ticket_id))
    days = ticket_settings(view.community).auto_close_days
    await notify_resident(
        ctx,
        session,
        view,
        partial(_auto_closed_for_resident, ticket_ref(view.ticket), days),
        report_failure=False,
    )
    await post_in_ticket(ctx, session, view, partial(_auto_closed_for_staff, days))
    await sync_group(ctx, view)


def _auto_closed_for_resident(ref: str, days: int) -> str:
    return _(
        "Ticket {ref} was closed automatically: it was resolved {days} days ago "
        "and we did not hear back. If something is still wrong, please file a new "
        "report."
    ).format(ref=ref, days=days)


def _auto_closed_for_staff(days: int) -> str:
    return "✅ " + _("Closed automatically: no answer from the resident for {days} days.").format(
        days=days
    )


# -------------------------------------------------------------- the digest


async def run_morning_digest(ctx: AppContext) -> int:
    """Once per community per local day, after the digest hour: what is open and late."""
    now = ctx.clock.now()
    sent = 0
    with ctx.i18n.context():
        async with ctx.session_factory() as session:
            communities = await digest.digest_communities(session)
        for community in communities:
            day = digest.digest_day(community, now)
            if day is None:
                continue
            # Claimed in a transaction of its own before it is posted: another run (or
            # process) finds the day taken.
            async with transaction(ctx.session_factory) as session:
                claimed = await digest.claim_digest(session, community.id, day, now)
            if not claimed:
                continue
            async with ctx.session_factory() as session:
                with ctx.i18n.use_locale(group_locale(ctx, community)):
                    text = await _digest_text(session, community, now)
            delivery = await send_to_admin_group(ctx, community, partial(str, text))
            if delivery.ok:
                sent += 1
            else:
                log.warning(
                    "morning digest not delivered",
                    extra={"fields": {"community": community.id, "reason": delivery.reason}},
                )
    return sent


async def _digest_text(session: AsyncSession, community: Community, now: datetime) -> str:
    open_ = await service.open_tickets(session, community.id)
    waiting = await digest.awaiting_confirmation(session, community.id)
    counts: defaultdict[TicketStatus, int] = defaultdict(int)
    for ticket in open_:
        counts[ticket.status] += 1
    lines = [
        _("☀️ <b>Good morning! Tickets today</b>"),
        _("Open: {open} (new {new}, in progress {taken}, on site {on_site})").format(
            open=len(open_),
            new=counts[TicketStatus.NEW],
            taken=counts[TicketStatus.TAKEN],
            on_site=counts[TicketStatus.ON_SITE],
        ),
        _("Resolved, waiting for the resident: {count}").format(count=waiting),
        "",
        *(await overdue_report(session, community, now)).split("\n"),
    ]
    new = [t for t in open_ if t.status == TicketStatus.NEW]
    if new:
        lines += ["", _("<b>Not taken yet</b>")]
        for ticket in new[:20]:
            lines.append(ticket_line(await load_view(session, ticket)))
    return fit_lines(lines)


# --------------------------------------------------------- publishing, drafts


async def run_publisher(ctx: AppContext) -> int:
    """Post tickets the admin group has not seen (no group bound then, or Telegram failed)."""
    published = 0
    with ctx.i18n.context():
        async with ctx.session_factory() as session:
            ids = [t.id for t in await service.tickets_to_publish(session)]
        for ticket_id in ids:
            published += int(await publish_once(ctx, ticket_id))
    return published


async def purge_drafts(ctx: AppContext) -> int:
    async with transaction(ctx.session_factory) as session:
        return await service.purge_stale_drafts(session, ctx.clock)
