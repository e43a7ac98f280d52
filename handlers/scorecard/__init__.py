"""The office's scorecard: for managers in the admin group, :mod:`.view`
(``/scorecard [YYYY-MM | week]``); for residents, :mod:`.resident` (the home
menu's "📊 Office scorecard", last month's with a chart and a PDF) and the
monthly publication, :mod:`.jobs`. Texts: :mod:`.texts`; the chart and PDF:
:mod:`.sending`. The figures are computed in :mod:`core.scorecard`."""

from __future__ import annotations

from handlers.kit import Feature
from handlers.scorecard import resident, view
from handlers.scorecard.jobs import register_jobs

feature = Feature("scorecard", (view.router, resident.router), jobs=register_jobs, domain="office")
