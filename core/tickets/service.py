"""Ticket services: file, take, assign, on site, resolve, reject, confirm, reopen,
cancel, auto-close; relay bookkeeping; the filing draft's media; a reporter's own data.

Every function works in the caller's session and transaction (the handler's,
or a job's) and raises a :class:`TicketError` subclass with a ``code`` when
the action is not allowed; user text is the handlers' business. Each change
appends a :class:`TicketEvent` and updates the ticket's deadlines in the same
transaction.

The code lives in one module per concern, all re-exported here (callers write
``from core.tickets import service`` and ``service.take(...)``):
:mod:`~core.tickets.common` (limits, errors), :mod:`~core.tickets.lookups`,
:mod:`~core.tickets.filing`, :mod:`~core.tickets.transitions`,
:mod:`~core.tickets.relay`, :mod:`~core.tickets.drafts`, :mod:`~core.tickets.own_data`.
"""

from core.models import StaffRole
from core.tickets.common import (
    ASSIGNABLE_ROLES,
    MAX_DESCRIPTION,
    MAX_LOCATION_TEXT,
    MAX_PHOTOS,
    MAX_REASON,
    MAX_VIDEOS,
    MIN_DESCRIPTION,
    AlreadyTaken,
    DailyLimitReached,
    InvalidTicketData,
    InvalidTransition,
    NotAssignable,
    NotReporter,
    NotResident,
    TicketChanged,
    TicketError,
    TicketNotFound,
    insert_for,
)
from core.tickets.drafts import (
    DraftMediaResult,
    add_draft_media,
    claim_draft_submission,
    clear_draft_media,
    discard_draft_media,
    draft_media,
    purge_stale_drafts,
)
from core.tickets.filing import (
    MediaItem,
    check_daily_limit,
    file_ticket,
    filed_today,
    local_day_start,
    resident_units,
    validate_media,
)
from core.tickets.lookups import (
    assignable_staff,
    find_ticket_by_message,
    find_ticket_by_number,
    find_ticket_by_topic,
    get_ticket,
    managers,
    open_tickets,
    overdue_tickets,
    tickets_of_reporter,
    tickets_to_publish,
)
from core.tickets.own_data import (
    erase_reporter_text,
    personal_ticket_data,
)
from core.tickets.relay import (
    link_message,
    record_escalation,
    record_staff_answer,
    set_admin_placement,
)
from core.tickets.transitions import (
    add_rating_comment,
    assign,
    auto_close,
    auto_close_candidates,
    cancel,
    confirm,
    mark_on_site,
    reject,
    reopen,
    resolve,
    take,
)

__all__ = [
    "ASSIGNABLE_ROLES",
    "MAX_DESCRIPTION",
    "MAX_LOCATION_TEXT",
    "MAX_PHOTOS",
    "MAX_REASON",
    "MAX_VIDEOS",
    "MIN_DESCRIPTION",
    "AlreadyTaken",
    "DailyLimitReached",
    "DraftMediaResult",
    "InvalidTicketData",
    "InvalidTransition",
    "MediaItem",
    "NotAssignable",
    "NotReporter",
    "NotResident",
    "StaffRole",
    "TicketChanged",
    "TicketError",
    "TicketNotFound",
    "add_draft_media",
    "add_rating_comment",
    "assign",
    "assignable_staff",
    "auto_close",
    "auto_close_candidates",
    "cancel",
    "check_daily_limit",
    "claim_draft_submission",
    "clear_draft_media",
    "confirm",
    "discard_draft_media",
    "draft_media",
    "erase_reporter_text",
    "file_ticket",
    "filed_today",
    "find_ticket_by_message",
    "find_ticket_by_number",
    "find_ticket_by_topic",
    "get_ticket",
    "insert_for",
    "link_message",
    "local_day_start",
    "managers",
    "mark_on_site",
    "open_tickets",
    "overdue_tickets",
    "personal_ticket_data",
    "purge_stale_drafts",
    "record_escalation",
    "record_staff_answer",
    "reject",
    "reopen",
    "resident_units",
    "resolve",
    "set_admin_placement",
    "take",
    "tickets_of_reporter",
    "tickets_to_publish",
    "validate_media",
]
