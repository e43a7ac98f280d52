"""The gate's work outside any update.

- Every minute, passes whose window is over are marked expired (their codes are
  free again).
- Every minute, hosts whose visitor came in and was not recorded leaving by the end
  of the window (plus the community's grace) are told, once, and so are the guards
  in the admin group. A granted exit clears the visitor (``Pass.inside``) first.
- Every 10 seconds, walk-ins and intercom calls past their time end as "no answer".
- Every hour, the households keeping a daily-help pass that ends within two weeks are
  told, once, with a button to renew it (``help_renewal``).
- Every hour, calls over for 30 days are forgotten (their outcome stays in the access
  log), with ended mutes and full call meters.
- The gate terminal API runs alongside the bot, on the runtime built at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from html import escape

from aiogram.utils.i18n import gettext as _

from access.api import serve
from access.lookups import PassParties, claim_overstay_notices, community_by_id
from access.passes import expire_passes
from access.passes.renewal import renewals_due
from access.passes.shared import households_to_tell
from access.sync.admin import prune_pass_changes
from access.walkins.records import prune_calls
from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from bot.sender import Delivery
from core.formatting import fmt_short_datetime, local_dt
from core.scheduler import Scheduler
from core.sends import send_once
from handlers.gate.help_renewal import reminder_markup, reminder_text
from handlers.gate.texts import fmt_end

log = logging.getLogger(__name__)


async def gate_api_service(ctx: AppContext) -> None:
    """The gate terminal API on settings.gate_api_host:port, until cancelled."""
    host, port = ctx.settings.gate_api_host, ctx.settings.gate_api_port
    try:
        runner = await serve(ctx.gate, host, port)
    except OSError as exc:
        # Another process (a second webhook worker, `courtyard gate-api`) may serve it.
        log.error(
            "gate API could not listen",
            extra={"fields": {"host": host, "port": port, "error": str(exc)}},
        )
        return
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()


async def expire_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        return await expire_passes(session, ctx.clock.now())


def _overstay_text(notice: PassParties) -> str:
    row, tz = notice.pass_, notice.community.timezone
    locale = notice.host.locale if notice.host else None
    name = escape(row.holder_name) if row.holder_name else _("Your visitor")
    entered = row.last_entry_at or row.valid_from
    return _(
        "⏰ {name} came in at {entered} and has not been recorded leaving; "
        "their pass ended at {until}."
    ).format(
        name=name,
        entered=fmt_short_datetime(entered, tz, locale),
        until=fmt_end(row.valid_until, tz, locale),
    )


def _overstay_guard_text(notice: PassParties) -> str:
    """The same overstay for the guards, in the admin group's language, with the home."""
    row, tz, locale = notice.pass_, notice.community.timezone, notice.community.locale
    return _(
        "⏰ Visitor {name} for {unit} came in at {entered} and has not been recorded "
        "leaving; the pass ended at {until}. Please check."
    ).format(
        name=escape(row.holder_name) if row.holder_name else "—",
        unit=escape(notice.unit_label),
        entered=fmt_short_datetime(row.last_entry_at or row.valid_from, tz, locale),
        until=fmt_end(row.valid_until, tz, locale),
    )


async def overstay_job(ctx: AppContext) -> int:
    """Tell hosts, and the guards in the admin group, of a visitor who entered and was
    not recorded leaving after the window (a recorded exit clears them first)."""
    # Claimed and committed before anyone is told: two schedulers never tell twice.
    async with ctx.session_factory.begin() as session:
        notices = await claim_overstay_notices(session, ctx.clock.now())
    if ctx.bot is None:
        return len(notices)
    for notice in notices:
        assert notice.host is not None
        with ctx.i18n.context():
            await send_to_person(ctx, notice.host, partial(_overstay_text, notice))
            delivery = await send_to_admin_group(
                ctx, notice.community, partial(_overstay_guard_text, notice)
            )
        if not delivery.ok:
            log.warning(
                "overstay alert not delivered to the guards",
                extra={"fields": {"pass": notice.pass_.id, "reason": delivery.reason}},
            )
    return len(notices)


async def prune_changes_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        return await prune_pass_changes(session, ctx.clock.now())


async def walkin_expiry_job(ctx: AppContext) -> int:
    """Walk-ins and intercom calls nobody answered in time: the terminal's poll shows
    it, the guards are told (access.walkins; a poll or a late answer may get there first)."""
    desk = ctx.gate.walkins
    return await desk.expire_due() if desk is not None else 0


def _reached(delivery: Delivery | None) -> bool:
    return delivery is not None and delivery.ok


async def help_renewal_job(ctx: AppContext) -> int:
    """Daily-help passes ending within two weeks: each household keeping one is told
    once, with 🔁 Renew (each message claimed before it is sent: core.sends; the key
    carries the pass's end, so a renewed pass is reminded again next year). How many
    passes had someone told in this run."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        due = []
        for row in await renewals_due(session, now):
            community = await community_by_id(session, row.community_id)
            assert community is not None
            today = local_dt(now, community.timezone).date()
            due.append((row, community.timezone, await households_to_tell(session, row.id, today)))
    if ctx.bot is None:
        return 0
    told = 0
    for row, timezone, people in due:
        sent = False
        for person in people:
            key = f"access.help_renewal:{row.id}:{row.valid_until.date()}:{person.id}"
            with ctx.i18n.context():
                send = partial(
                    send_to_person,
                    ctx,
                    person,
                    partial(reminder_text, row, timezone),
                    reply_markup=partial(reminder_markup, row),
                )
                first, _result = await send_once(
                    ctx.session_factory, key, now, send, delivered=_reached
                )
            sent = sent or first
        told += sent
    return told


async def prune_calls_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        return await prune_calls(session, ctx.clock.now())


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("access.expire", lambda: expire_job(ctx), 60)
    scheduler.add_periodic("access.overstay", lambda: overstay_job(ctx), 60)
    scheduler.add_periodic("access.agent_changes", lambda: prune_changes_job(ctx), 3600)
    scheduler.add_periodic("access.walkin_expiry", lambda: walkin_expiry_job(ctx), 10)
    scheduler.add_periodic("access.help_renewal", lambda: help_renewal_job(ctx), 3600)
    scheduler.add_periodic("access.walkin_prune", lambda: prune_calls_job(ctx), 3600)
