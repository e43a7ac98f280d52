"""Surveys of the households: the yearly property-service survey and its results.

Staff side (admin group): :mod:`.create` (``/survey``: the template or one's own
questionnaire written in :mod:`.compose`, the deadline, the check, open),
:mod:`.staff` (``/surveys``: results as text, chart and PDF).
Resident side (private chat): :mod:`.resident` (the home menu's surveys, a
survey's card), :mod:`.answer` (one question at a time, then submit). The job
:mod:`.jobs` tells the residents, reminds those who have not answered and closes
at the deadline. Shared pieces: :mod:`.texts`, :mod:`.report`, :mod:`.callbacks`.
The domain is in :mod:`core.surveys`.
"""

from __future__ import annotations

from handlers.kit import Feature
from handlers.surveys import answer, compose, create, resident, staff
from handlers.surveys.jobs import register_survey_jobs

routers = (compose.router, create.router, staff.router, resident.router, answer.router)

feature = Feature("surveys", routers, jobs=register_survey_jobs, domain="surveys")
