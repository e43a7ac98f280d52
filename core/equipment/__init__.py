"""The equipment ledger (设备台账) and its maintenance plans.

``models`` holds the tables, ``ledger`` the CSV import and adding/retiring items,
``plans`` the plans and their periods, ``tasks`` the due tasks (made once per
period, done with notes and a photo, warned and escalated when overdue). No
aiogram here.
"""
