"""Shift rota and hand-over (交接班).

Private chat: :mod:`.handover` (``/handover``, four answers). Admin group:
:mod:`.rota` (``/shift_add``, ``/handovers``, the card's "Acknowledge"). Jobs:
:mod:`.jobs` (ask at a shift's end; alert managers after 30 minutes). Shared
texts: :mod:`.texts`. The domain is in :mod:`core.shifts`.
"""

from __future__ import annotations

from handlers.kit import Feature
from handlers.shifts import handover, rota
from handlers.shifts.jobs import register_jobs

feature = Feature("shifts", (handover.router, rota.router), jobs=register_jobs, domain="office")
