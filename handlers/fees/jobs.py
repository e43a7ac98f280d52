"""Fees work that happens outside an update, on a timer.

Jobs:
- ``fees.bills`` — on the first days of a period (community time) generate its
  bills once, and charge late fees on overdue bills;
- ``fees.outbox`` — deliver receipts, statements and staff alerts (handlers.fees.outbox);
- ``fees.spool`` — record payments the database could not take (handlers.fees.spool);
- ``fees.reminders`` — remind of unpaid bills (handlers.fees.reminders);
- ``fees.statements`` — the six-monthly statements (handlers.fees.statements).

Every job asks the database what is due and records what it did, so a restart
loses nothing and a second run does nothing twice (see core.scheduler).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.context import AppContext
from core.db import transaction
from core.fees.scheduled import bill_due_period, communities_with_fees
from handlers.fees.outbox import deliver_outbox
from handlers.fees.reminders import send_reminders
from handlers.fees.spool import record_spooled_payments
from handlers.fees.statements import publish_due_statements

log = logging.getLogger(__name__)


async def generate_due_bills(ctx: AppContext) -> int:
    """On the first day of a period (community time), generate its bills once;
    apply late fees to overdue bills."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        communities = await communities_with_fees(session)
    created = 0
    for community in communities:
        async with transaction(ctx.session_factory) as session:
            result = await bill_due_period(session, community, now=now)
        if result is None:
            continue
        created += result.created
        log.info(
            "bills generated",
            extra={
                "fields": {
                    "community": community.id,
                    "period": str(result.period),
                    "created": result.created,
                }
            },
        )
    return created


def register_fee_jobs(ctx: AppContext, scheduler: Any) -> None:
    """Bill generation and late fees, the receipt outbox, reminders, statements."""
    scheduler.add_periodic("fees.bills", lambda: generate_due_bills(ctx), 900)
    scheduler.add_periodic("fees.outbox", lambda: deliver_outbox(ctx), 20)
    scheduler.add_periodic("fees.spool", lambda: record_spooled_payments(ctx), 15)
    scheduler.add_periodic("fees.reminders", lambda: send_reminders(ctx), 600)
    scheduler.add_periodic("fees.statements", lambda: publish_due_statements(ctx), 1800)
