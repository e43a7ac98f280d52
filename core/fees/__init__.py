"""Fees: schedule, bills, payments in chat, receipts, reminders and public accounts."""
