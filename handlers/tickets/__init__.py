"""Tickets: residents report repairs, complaints, suggestions and hazards; staff
work them in the admin group, against deadlines.

Resident side (private chat), in routing order: report a problem in four phases
(:mod:`.report_start` → :mod:`.report_place` → :mod:`.report_details` →
:mod:`.report_submit`), :mod:`.my_tickets` (list, details, cancel),
:mod:`.resident_relay` (writing to staff), :mod:`.rating`, :mod:`.reopen`.
Staff side (admin group): :mod:`.staff_card` (the card's buttons),
:mod:`.staff_reject`, :mod:`.staff_lists` (/tickets), :mod:`.staff_report`
(/report tickets), and last :mod:`.staff_relay` (topic messages to the resident).
Each side's shared pieces: :mod:`.report_shared` (the filing), :mod:`.resident_shared`
and :mod:`.staff_shared` (whose ticket a button is about, and the answer when no
handler took the press). Shared by all: :mod:`.views`, :mod:`.card`, :mod:`.group`
(the topic, card and photos in the admin group), :mod:`.notices` (to the resident),
:mod:`.labels`, :mod:`.callbacks`, :mod:`.sizes`. Jobs: :mod:`.deadline_jobs`,
:mod:`.jobs`. The domain is in :mod:`core.tickets`.
"""

from __future__ import annotations

from handlers.kit import Feature
from handlers.tickets import (
    free_text,
    my_tickets,
    rating,
    reopen,
    report_details,
    report_place,
    report_start,
    report_submit,
    resident_relay,
    resident_shared,
    staff_card,
    staff_lists,
    staff_reject,
    staff_relay,
    staff_report,
    staff_shared,
)
from handlers.tickets.jobs import register_ticket_jobs

# The filing's re-asks (each phase's catch-all for its states) come before "My
# tickets" and the other commands, as they always have; the staff relay takes any
# message in a ticket's topic, so it is last.
routers = (
    report_start.router,
    report_place.router,
    report_details.router,
    report_submit.router,
    my_tickets.router,
    resident_relay.router,
    rating.router,
    reopen.router,
    free_text.router,  # a resident's message with no step open: after every step
    resident_shared.router,  # a press on someone else's ticket
    staff_card.router,
    staff_reject.router,
    staff_shared.router,  # a press on a ticket of another group
    staff_lists.router,
    staff_report.router,
    staff_relay.router,
)

feature = Feature("tickets", routers, jobs=register_ticket_jobs, domain="tickets")
