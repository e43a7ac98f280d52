"""Community life: notices from the property office to residents.

Staff side (admin group): composing in three phases (:mod:`.compose_start` → kind,
audience, buildings, outage window; :mod:`.compose_text` → title, text, attachment;
:mod:`.compose_send` → preview, send now or at a time), then :mod:`.staff_status`
(/notices and the figures). Resident side: :mod:`.resident` (the home menu's
notices, "Got it"). The delivery job is :mod:`.jobs`; shared pieces
:mod:`.drafting`, :mod:`.sending`, :mod:`.views`, :mod:`.callbacks`. The domain is
in :mod:`core.community`.
"""

from __future__ import annotations

from handlers.community import (
    compose_send,
    compose_start,
    compose_text,
    resident,
    staff_status,
)
from handlers.community.jobs import register_notice_jobs
from handlers.kit import Feature

routers = (
    compose_start.router,
    compose_text.router,
    compose_send.router,
    staff_status.router,
    resident.router,
)

feature = Feature("community", routers, jobs=register_notice_jobs, domain="community")
