"""The move-in area: joining a home (invitation or application), family members,
and the office's side — reviewing applications, keys and access cards, residents
of a unit, ending a residency — plus the hourly housekeeping.

Resident side (private chat), in routing order: :mod:`.entry`, :mod:`.invitation`,
:mod:`.home`, :mod:`.details`, :mod:`.documents`, :mod:`.agreements`,
:mod:`.submit`, :mod:`.more_documents`, :mod:`.family` (:mod:`.joined` finishes an
invitation). Office side (admin group): :mod:`.decide`, :mod:`.handover`,
:mod:`.unit_residents`; cards are posted by :mod:`.posting`. Shared:
:mod:`.callbacks`, :mod:`.texts`, :mod:`.views`, :mod:`.notices`.
"""

from __future__ import annotations

from aiogram import Router

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
    submit,
    unit_residents,
)
from handlers.movein.jobs import HOUSEKEEPING_EVERY_S, movein_housekeeping

# The office's routers first (as before the split); the resident's steps in the
# order of the conversation: a step's catch-all re-ask must come after the
# commands that work in any state (/movein, /start i_…).
ROUTERS: tuple[Router, ...] = (
    decide.router,
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
)

__all__ = ["HOUSEKEEPING_EVERY_S", "ROUTERS", "movein_housekeeping"]
