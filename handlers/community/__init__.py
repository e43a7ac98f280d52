"""Community life: notices from the property office to residents, owners' votes.

Staff side (admin group): composing in three phases (:mod:`.compose_start` → kind,
audience, buildings, outage window; :mod:`.compose_text` → title, text, attachment;
:mod:`.compose_send` → preview, send now or at a time), then :mod:`.staff_status`
(/notices and the figures), :mod:`.outage_extend` (/extend). Resident side:
:mod:`.resident` (the home menu's notices, "Got it").
Owners' votes: :mod:`.vote_open` (staff open one),
:mod:`.vote_resident` (owners cast their unit's ballot), :mod:`.vote_staff` (turnout,
result), :mod:`.vote_jobs` (closing, reminders), :mod:`.vote_views`.
Events: :mod:`.event_post` (staff post one), :mod:`.event_resident` (sign up,
waitlist, cancel), :mod:`.event_staff` (attendees, messaging them),
:mod:`.event_jobs` (the reminder the day before, the waitlisted let in),
:mod:`.event_views`, :mod:`.units_step` (a notice's or event's "some units"). The delivery
job is :mod:`.jobs` (a vote's messages go through it too); shared pieces
:mod:`.steps` (the step engine), :mod:`.drafting`, :mod:`.sending`,
:mod:`.views`, :mod:`.callbacks`. The domain is in :mod:`core.community`.
"""

from __future__ import annotations

from handlers.community import (
    compose_alt,
    compose_send,
    compose_start,
    compose_text,
    event_post,
    event_resident,
    event_staff,
    outage_extend,
    resident,
    staff_status,
    steps,
    vote_open,
    vote_resident,
    vote_staff,
)
from handlers.community.jobs import register_notice_jobs
from handlers.kit import Feature

routers = (
    steps.router,
    compose_start.router,
    compose_text.router,
    compose_alt.router,
    compose_send.router,
    staff_status.router,
    outage_extend.router,
    resident.router,
    vote_open.router,
    vote_staff.router,
    vote_resident.router,
    event_post.router,
    event_staff.router,
    event_resident.router,
)

feature = Feature("community", routers, jobs=register_notice_jobs, domain="community")
