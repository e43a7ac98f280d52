"""The move-in area: joining a home (invitation or application), family members,
and the office's side — reviewing applications, keys and access cards, residents
of a unit, ending a residency — plus the hourly housekeeping.

Office side (admin group): :mod:`.decide`, :mod:`.reasons`, :mod:`.handover`,
:mod:`.unit_residents`; cards are posted by :mod:`.posting`. Resident side
(private chat), in routing order: :mod:`.entry`, :mod:`.invitation`, :mod:`.home`,
:mod:`.details`, :mod:`.documents`, :mod:`.agreements`, :mod:`.submit`,
:mod:`.more_documents`, :mod:`.family` (:mod:`.joined` finishes an invitation).
Shared: :mod:`.callbacks`, :mod:`.texts`, :mod:`.views`, :mod:`.notices`;
:mod:`.jobs` the housekeeping.

Other areas use :func:`post_application` (``/setup`` posts the applications that
waited for a group), :func:`person_link`, and the profile the office's cards
(:mod:`.handover`, :func:`.posting.refresh_card`) and labels (:mod:`.texts`).
"""

from __future__ import annotations

from handlers.kit import Feature
from handlers.movein import (
    agreements,
    decide,
    details,
    documents,
    entry,
    family,
    handover,
    home,
    invitation,
    more_documents,
    reasons,
    submit,
    unit_residents,
)
from handlers.movein.jobs import register_movein_jobs
from handlers.movein.posting import post_application
from handlers.movein.texts import person_link

# The office's routers first; the resident's steps in the order of the
# conversation: a step's catch-all re-ask comes after the commands that work in any
# state (/movein, /start i_…).
feature = Feature(
    "movein",
    (
        decide.router,
        reasons.router,
        handover.router,
        unit_residents.router,
        entry.router,
        invitation.router,
        home.router,
        details.router,
        documents.router,
        agreements.router,
        submit.router,
        more_documents.router,
        family.router,
    ),
    jobs=register_movein_jobs,
    domain="movein",
)

__all__ = ["feature", "person_link", "post_application"]
