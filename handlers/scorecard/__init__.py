"""The office's monthly scorecard for managers, in the admin group: :mod:`.view`
(``/scorecard [YYYY-MM]``). The figures are computed in :mod:`core.scorecard`."""

from __future__ import annotations

from handlers.kit import Feature
from handlers.scorecard import view

feature = Feature("scorecard", (view.router,), domain="office")
