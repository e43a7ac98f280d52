"""Scheduled ticket work: deadline warnings and escalations, the morning digest,
auto-closing resolved tickets, publishing tickets the group has not seen yet,
and purging abandoned filing drafts.

Each job asks the database what is due and marks what it did (see
:mod:`core.tickets.deadlines`), so running a job twice, or after a restart,
never repeats a notice. The functions take the :class:`AppContext` and can be
called directly (tests do, with a frozen clock).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.logs import log_context
from bot.notify import send_to_admin_group, send_to_person
from core.formatting import fmt_duration, fmt_short_datetime
from core.models import Community
from core.scheduler import Scheduler
from core.tickets import service
from core.tickets.deadlines import (
    DeadlineNotice,
    NoticePhase,
    claim_due_notices,
    release_notice,
    ticket_settings,
)
from core.tickets.models import LinkRole, Ticket, TicketDigest, TicketStatus
from handlers.tickets_ui import (
    TicketView,
    deadline_label,
    fit_lines,
    group_locale,
    load_view,
    mention,
    notify_resident,
    overdue_report,
    placement_kwargs,
    post_in_ticket,
    publish_ticket,
    sync_group,
    ticket_line,
    ticket_link,
    ticket_ref,
)

log = logging.getLogger(__name__)

TRANSIENT = (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)
DIGEST_WINDOW = timedelta(hours=4)  # a digest later than this in the day is skipped


def register_ticket_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("tickets.deadlines", lambda: run_deadline_checks(ctx), 30)
    scheduler.add_periodic("tickets.publish", lambda: run_publisher(ctx), 60)
    scheduler.add_periodic("tickets.digest", lambda: run_morning_digest(ctx), 300)
    scheduler.add_periodic("tickets.autoclose", lambda: run_auto_close(ctx), 900)
    scheduler.add_periodic("tickets.drafts", lambda: purge_drafts(ctx), 3600)


# ------------------------------------------------------------------ deadlines


async def run_deadline_checks(ctx: AppContext) -> int:
    """Send every warning / overdue notice / escalation that is due; returns how many."""
    with ctx.i18n.context():
        async with ctx.session_factory() as session:
            notices = await claim_due_notices(session, ctx.clock.now())
            await session.commit()
        by_ticket: dict[int, list[DeadlineNotice]] = defaultdict(list)
        for notice in notices:
            by_ticket[notice.ticket_id].append(notice)
        sent = 0
        for ticket_id, items in by_ticket.items():
            with log_context(ticket=ticket_id):
                sent += await _notify_ticket(ctx, ticket_id, items)
        return sent


async def _notify_ticket(ctx: AppContext, ticket_id: int, notices: list[DeadlineNotice]) -> int:
    sent = 0
    async with ctx.session_factory() as session:
        ticket = await service.get_ticket(session, ticket_id)
        view = await load_view(session, ticket)
        for phase in NoticePhase:
            items = [n for n in notices if n.phase == phase]
            if not items:
                continue
            try:
                await _send_phase(ctx, session, view, phase, items)
            except TRANSIENT:
                # Telegram is unreachable: give the claims back for the next run.
                log.warning("deadline notice failed; will retry", exc_info=True)
                await session.rollback()
                async with ctx.session_factory() as retry:
                    for notice in items:
                        await release_notice(retry, notice)
                    await retry.commit()
                continue
            sent += len(items)
            if phase == NoticePhase.ESCALATION:
                for notice in items:
                    await service.record_escalation(session, ctx.clock, ticket, notice.kind)
            await session.commit()
        await sync_group(ctx, session, view)
        await session.commit()
    return sent


async def _post(ctx: AppContext, session: AsyncSession, view: TicketView, text: str) -> None:
    """Post in the ticket's topic; transient failures propagate (the claim is released),
    permanent ones (bot removed from the group) are logged and the notice counts as done."""
    assert ctx.bot is not None
    ticket = view.ticket
    if ticket.admin_chat_id is None:
        return
    try:
        message = await ctx.bot.send_message(ticket.admin_chat_id, text, **placement_kwargs(ticket))
    except TRANSIENT:
        raise
    except TelegramAPIError:
        log.warning("could not post a deadline notice", exc_info=True)
        return
    await service.link_message(
        session, ticket.id, message.chat.id, message.message_id, LinkRole.GROUP_NOTICE
    )


def _labels(items: Sequence[DeadlineNotice]) -> str:
    return ", ".join(deadline_label(n.kind) for n in items)


async def _send_phase(
    ctx: AppContext,
    session: AsyncSession,
    view: TicketView,
    phase: NoticePhase,
    items: list[DeadlineNotice],
) -> None:
    community = view.community
    now = ctx.clock.now()
    due_at = min(n.due_at for n in items)
    tz, locale = community.timezone, community.locale
    ticket = view.ticket
    with ctx.i18n.use_locale(group_locale(ctx, community)):
        labels = _labels(items)
        due = fmt_short_datetime(due_at, tz, locale)
        who = (
            mention(view.assignee)
            if view.assignee
            else _("Nobody has taken it yet — please take it now.")
        )
        if phase == NoticePhase.WARNING:
            text = _("⏳ {ref}: {labels} is due in {left} (by {due}). {who}").format(
                ref=ticket_ref(ticket),
                labels=labels,
                left=fmt_duration(due_at - now, locale),
                due=due,
                who=who,
            )
        elif phase == NoticePhase.OVERDUE:
            text = _("⚠️ {ref}: the deadline for {labels} has passed ({due}). {who}").format(
                ref=ticket_ref(ticket), labels=labels, due=due, who=who
            )
        else:
            managers = await service.managers(session, community.id)
            names = " ".join(mention(m) for m in managers) or _("(no manager is registered)")
            text = _(
                "🚨 Escalated to the managers — {ref}: {labels} overdue since {due}. {managers}"
            ).format(ref=ticket_ref(ticket), labels=labels, due=due, managers=names)
    await _post(ctx, session, view, text)
    if phase != NoticePhase.ESCALATION:
        return
    link = ticket_link(ticket)
    for manager in await service.managers(session, community.id):

        def build(manager_link: str | None = link) -> str:
            body = _(
                "🚨 Escalation in {community}: ticket {ref} ({place}) — "
                "{labels} overdue since {due}."
            ).format(
                community=community.name,
                ref=ticket_ref(ticket),
                place=view.place,
                labels=_labels(items),
                due=fmt_short_datetime(due_at, tz, locale),
            )
            return body + (f"\n{manager_link}" if manager_link else "")

        delivery = await send_to_person(ctx, manager, build)
        if not delivery.ok:
            log.info(
                "manager not reachable for escalation",
                extra={"fields": {"person": manager.id, "reason": delivery.reason}},
            )


# -------------------------------------------------------------- auto-close


async def run_auto_close(ctx: AppContext) -> int:
    """Close tickets resolved N days ago that the resident never confirmed."""
    with ctx.i18n.context():
        async with ctx.session_factory() as session:
            due = [t.id for t in await service.auto_close_candidates(session, ctx.clock)]
        closed = 0
        for ticket_id in due:
            async with ctx.session_factory() as session:
                ticket = await service.get_ticket(session, ticket_id)
                try:
                    await service.auto_close(session, ctx.clock, ticket)
                except service.TicketError:
                    await session.rollback()  # the resident answered meanwhile
                    continue
                await session.commit()
                closed += 1
                view = await load_view(session, ticket)
                days = ticket_settings(view.community).auto_close_days
                await notify_resident(
                    ctx,
                    session,
                    view,
                    partial(_auto_closed_for_resident, ticket_ref(ticket), days),
                    report_failure=False,
                )
                await post_in_ticket(
                    ctx,
                    session,
                    view,
                    partial(_auto_closed_for_staff, days),
                )
                await sync_group(ctx, session, view)
                await session.commit()
        return closed


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
            communities = (
                await session.scalars(select(Community).where(Community.admin_chat_id.is_not(None)))
            ).all()
        for community in communities:
            settings = ticket_settings(community)
            local = now.astimezone(ZoneInfo(community.timezone))
            start = local.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
            if not start <= local < start + DIGEST_WINDOW:
                continue
            async with ctx.session_factory() as session:
                insert = service.insert_for(session)
                claimed = await session.scalar(
                    insert(TicketDigest)
                    .values(community_id=community.id, day=local.date(), sent_at=now)
                    .on_conflict_do_nothing(index_elements=["community_id", "day"])
                    .returning(TicketDigest.community_id)
                )
                await session.commit()
                if claimed is None:
                    continue
                with ctx.i18n.use_locale(group_locale(ctx, community)):
                    text = await _digest_text(ctx, session, community)
                delivery = await send_to_admin_group(ctx, community, partial(str, text))
                if delivery.ok:
                    sent += 1
                else:
                    log.warning(
                        "morning digest not delivered",
                        extra={"fields": {"community": community.id, "reason": delivery.reason}},
                    )
    return sent


async def _digest_text(ctx: AppContext, session: AsyncSession, community: Community) -> str:
    now = ctx.clock.now()
    open_ = await service.open_tickets(session, community.id)
    waiting = (
        await session.scalars(
            select(Ticket.id).where(
                Ticket.community_id == community.id, Ticket.status == TicketStatus.RESOLVED
            )
        )
    ).all()
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
        _("Resolved, waiting for the resident: {count}").format(count=len(waiting)),
        "",
        *(await overdue_report(ctx, session, community, now)).split("\n"),
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
            async with ctx.session_factory() as session:
                ticket = await service.get_ticket(session, ticket_id)
                if await publish_ticket(ctx, session, await load_view(session, ticket)):
                    published += 1
                await session.commit()
    return published


async def purge_drafts(ctx: AppContext) -> int:
    async with ctx.session_factory() as session:
        count = await service.purge_stale_drafts(session, ctx.clock, older_than=timedelta(days=2))
        await session.commit()
    return count
