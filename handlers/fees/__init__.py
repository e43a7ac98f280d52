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
from handlers.kit import Feature

# Payments are recorded even in the middle of another conversation, whose
# catch-all would otherwise take the message: their router goes before every flow.
payments_feature = Feature("fees.payments", (checkout.router,), domain="fees", first=True)
feature = Feature(
    "fees",
    (
        bills.router,
        accounts.router,
        schedule.router,
        fee_add.router,
        confirm.router,
        money.router,
        expenses.router,
        reports.router,
    ),
    jobs=register_fee_jobs,
    domain="fees",
)
