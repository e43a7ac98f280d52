"""The equipment ledger and its maintenance: items, plans, due tasks in the admin
group with their checklists, done with notes and a photo, overdue warnings and
escalations to managers.

Admin group: :mod:`.ledger` (``/equipment``, ``/equipment_add``,
``/equipment_retire``), :mod:`.import_csv` (a CSV sent with
``/equipment_import``), :mod:`.plans` (``/plan_add``), :mod:`.tasks` (the task
card's "Done" and the notes), :mod:`.history` (``/item_ticket``,
``/equipment_history``), :mod:`.lights` (``/lights``, the month's light round).
Jobs: :mod:`.jobs`. Operator CLI: :mod:`.cli`
(``courtyard import-equipment``). The domain is in :mod:`core.equipment`.
"""

from __future__ import annotations

from handlers.equipment import cli, history, import_csv, ledger, lights, plans, tasks
from handlers.equipment.jobs import register_jobs
from handlers.kit import Feature

feature = Feature(
    "equipment",
    (ledger.router, import_csv.router, plans.router, tasks.router, history.router, lights.router),
    jobs=register_jobs,
    cli=cli.register,
    domain="office",
)
