"""Fees: the schedule, bills, paying in chat, receipts, the ledger staff keep, and
the community accounts.

Residents: My bills and Pay (bills, checkout), the accounts (accounts).
Staff in the admin group: the schedule (schedule, fee_add), offline payments,
refunds and adjustments (money), expenses (expenses), all confirmed in one place
(confirm); reports and the export (reports).
Outside updates (jobs): bill generation, the outbox (outbox, statements),
reminders, the payment spool.
"""

from __future__ import annotations

from handlers.fees import (
    accounts,
    bills,
    checkout,
    confirm,
    expenses,
    fee_add,
    money,
    reports,
    schedule,
)
from handlers.fees.jobs import register_fee_jobs

# Included before every flow: see handlers.fees.checkout.
payments_router = checkout.router
routers = (
    bills.router,
    accounts.router,
    schedule.router,
    fee_add.router,
    confirm.router,
    money.router,
    expenses.router,
    reports.router,
)

__all__ = ["payments_router", "register_fee_jobs", "routers"]
