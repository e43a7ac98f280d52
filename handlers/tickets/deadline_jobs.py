"""The deadline job: warnings, overdue notices and escalations, each sent once.

Steps (every 30 s): claim every notice that is due (:mod:`core.tickets.deadlines`
marks it, committed before anything is sent) → per ticket and phase, post it in
the ticket's topic, naming whoever has it (or asking someone to take it); a ticket
nobody took in time also tells its resident the office was alerted → an
escalation also names the managers in the topic and reaches each of them in
private with a link → if Telegram is unreachable the claims are given back for
the next run; a permanent refusal counts as done → the card shows the new state.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.logs import log_context
from bot.notify import send_to_person
from core.db import transaction
from core.formatting import fmt_duration, fmt_short_datetime
from core.tickets import service
from core.tickets.deadlines import DeadlineNotice, NoticePhase, claim_due_notices, release_notice
from core.tickets.models import DeadlineKind, LinkRole
from handlers.kit import commit_before_send, group_locale
from handlers.tickets.group import placement_kwargs, sync_group
from handlers.tickets.labels import deadline_label, mention, ticket_link, ticket_ref
from handlers.tickets.views import TicketView, load_view

log = logging.getLogger(__name__)

TRANSIENT = (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)


async def run_deadline_checks(ctx: AppContext) -> int:
    """Send every warning / overdue notice / escalation that is due; returns how many."""
    with ctx.i18n.context():
        # Claimed in a transaction of their own: committed before anything is sent, so
        # another run (or process) finds them taken.
        async with transaction(ctx.session_factory) as session:
            notices = await claim_due_notices(session, ctx.clock.now())
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
    async with transaction(ctx.session_factory) as session:
        view = await load_view(session, await service.get_ticket(session, ticket_id))
        for phase in NoticePhase:
            items = [n for n in notices if n.phase == phase]
            if not items:
                continue
            try:
                await _send_phase(ctx, session, view, phase, items)
            except TRANSIENT:
                log.warning("deadline notice failed; will retry", exc_info=True)
                await session.rollback()
                await _release(ctx, items)
                # The rollback expired the rows: read them again for what follows.
                view = await load_view(session, await service.get_ticket(session, ticket_id))
                continue
            sent += len(items)
            if phase == NoticePhase.ESCALATION:
                for notice in items:
                    await service.record_escalation(session, ctx.clock, view.ticket, notice.kind)
            # What this phase sent is on record before the next phase is sent: a transient
            # failure there rolls back, and must not take this phase's record with it.
            await commit_before_send(session)
        await sync_group(ctx, view)
    return sent


async def _release(ctx: AppContext, notices: list[DeadlineNotice]) -> None:
    """Telegram is unreachable: give the claims back for the next run."""
    async with transaction(ctx.session_factory) as session:
        for notice in notices:
            await release_notice(session, notice)


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
    if phase == NoticePhase.OVERDUE and any(n.kind == DeadlineKind.ACKNOWLEDGE for n in items):
        await _tell_resident_not_taken(ctx, view)
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


async def _tell_resident_not_taken(ctx: AppContext, view: TicketView) -> None:
    """Nobody took the ticket in time: the office was alerted; the resident hears so."""
    reporter = view.reporter
    if reporter is None or reporter.telegram_id is None or view.assignee is not None:
        return

    def build() -> str:
        return _(
            "Your ticket {ref} has not been taken by a staff member yet. We have alerted "
            "the property office, and you will hear from us as soon as someone takes it."
        ).format(ref=ticket_ref(view.ticket))

    delivery = await send_to_person(ctx, reporter, build)
    if not delivery.ok:
        log.info("resident not reachable", extra={"fields": {"reason": delivery.reason}})
