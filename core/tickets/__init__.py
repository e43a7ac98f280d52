"""Tickets: repairs, complaints, suggestions and hazard reports, with enforced deadlines.

``models`` holds the tables, ``service`` the state changes, ``deadlines`` the
response-time policy and its scheduler-side bookkeeping, ``reports`` the monthly
figures and chart. Nothing here imports aiogram.
"""
