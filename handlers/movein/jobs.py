"""The move-in area's hourly housekeeping (registered by the area's feature).

1. Purge document references whose retention has passed and drafts nobody
   finished; forget old wrong-code counts.
2. End tenancies whose lease is over; tell each tenant (staff, if the tenant
   cannot be reached) and ask staff to collect keys and access card.
3. Post applications that could not reach the admin group when they were
   submitted.
Every message is claimed before it is sent (core.sends): never sent twice.
"""

from __future__ import annotations

import logging
from functools import partial

from aiogram.exceptions import TelegramBadRequest
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from core.db import transaction
from core.invitations import purge_failures
from core.movein.office import residency_card, unposted_applications
from core.residents import end_expired_tenancies, purge_documents
from core.scheduler import Scheduler
from core.sends import send_once
from handlers.movein.handover import tell_residency_ended
from handlers.movein.posting import post_application

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY_S = 3600


def register_movein_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic(
        "movein.housekeeping", lambda: movein_housekeeping(ctx), HOUSEKEEPING_EVERY_S
    )


async def movein_housekeeping(ctx: AppContext) -> None:
    """Purge expired document references and stale drafts, end tenancies whose
    lease is over (telling the tenant and staff), and post applications that
    could not reach the admin group when they were submitted."""
    with ctx.i18n.context():
        async with transaction(ctx.session_factory) as session:
            purged = await purge_documents(session, ctx.clock)
            await purge_failures(session, ctx.clock.now())
            ended = await end_expired_tenancies(session, ctx.clock)
        if purged or ended:
            log.info(
                "move-in housekeeping",
                extra={"fields": {"documents_purged": purged, "tenancies_ended": len(ended)}},
            )
        for residency_id in ended:
            # Each notice claimed before it is sent (core.sends); one transaction per
            # tenant: the topic a notice creates is kept even if a later one fails.
            await send_once(
                ctx.session_factory,
                f"movein.lease_ended:{residency_id}",
                ctx.clock.now(),
                partial(_tell_lease_ended, ctx, residency_id),
                delivered=lambda _: True,
            )
        async with ctx.session_factory() as session:
            unposted = await unposted_applications(session)
        for application_id in unposted:
            try:
                await send_once(
                    ctx.session_factory,
                    f"movein.post:{application_id}",
                    ctx.clock.now(),
                    partial(_post, ctx, application_id),
                    retry_undelivered=True,
                )
            except TelegramBadRequest:
                log.warning("application still not posted", exc_info=True)


async def _tell_lease_ended(ctx: AppContext, residency_id: int) -> None:
    async with transaction(ctx.session_factory) as session:
        card = await residency_card(session, residency_id)
        if card is None or ctx.bot is None:
            return
        await tell_residency_ended(ctx, session, card, partial(_lease_ended_text, card.unit_label))


async def _post(ctx: AppContext, application_id: int) -> bool:
    async with transaction(ctx.session_factory) as session:
        return (await post_application(ctx, session, application_id)).ok


def _lease_ended_text(unit: str) -> str:
    return _(
        "Your lease for {unit} has ended, so your access to it has ended too. "
        "If you are staying longer, ask the property office to register the "
        "new lease."
    ).format(unit=unit)
