"""What every ticket service module shares: the limits, the errors (each with a
``code``; user text is the handlers' business), and the few helpers that load a
ticket with its details, append an event and save with the version check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from core.models import (
    StaffRole,
)
from core.tickets.models import (
    Ticket,
    TicketEvent,
    TicketEventType,
    TicketStatus,
)

MAX_PHOTOS = 5
MAX_VIDEOS = 1
MIN_DESCRIPTION = 3  # characters: enough to tell staff what to bring
MAX_DESCRIPTION = 2000
MAX_LOCATION_TEXT = 255
MAX_REASON = 1000
# Staff who can be assigned a ticket (accountants answer fee questions elsewhere).
ASSIGNABLE_ROLES = (StaffRole.MANAGER, StaffRole.TECHNICIAN, StaffRole.GUARD)


# ---------------------------------------------------------------------- errors


class TicketError(Exception):
    code = "ticket_error"


class TicketNotFound(TicketError):
    code = "not_found"


class DailyLimitReached(TicketError):
    code = "daily_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(f"daily limit of {limit} tickets reached")
        self.limit = limit


class InvalidTransition(TicketError):
    """The ticket is not in a status that allows this action."""

    code = "invalid_transition"

    def __init__(self, status: TicketStatus, action: str) -> None:
        super().__init__(f"cannot {action} a ticket that is {status.value}")
        self.status = status
        self.action = action


class AlreadyTaken(TicketError):
    code = "already_taken"

    def __init__(self, assignee_person_id: int | None) -> None:
        super().__init__("ticket already taken")
        self.assignee_person_id = assignee_person_id


class NotReporter(TicketError):
    code = "not_reporter"


class NotResident(TicketError):
    code = "not_resident"


class NotAssignable(TicketError):
    code = "not_assignable"


class InvalidTicketData(TicketError):
    code = "invalid_data"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TicketChanged(TicketError):
    """Someone else changed the ticket at the same moment; look again and retry."""

    code = "conflict"


def with_details() -> list[Any]:
    return [selectinload(Ticket.deadlines), selectinload(Ticket.events)]


def insert_for(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def record_event(
    ticket: Ticket,
    kind: TicketEventType,
    at: datetime,
    actor_person_id: int | None,
    **details: Any,
) -> None:
    ticket.events.append(
        TicketEvent(
            type=kind,
            at=at,
            actor_person_id=actor_person_id,
            status=ticket.status,
            details=details,
        )
    )


async def save_ticket(session: AsyncSession, ticket: Ticket, now: datetime) -> Ticket:
    ticket.updated_at = now
    try:
        await session.flush()
    except StaleDataError as exc:
        raise TicketChanged() from exc
    return ticket


def clean_text(value: str, limit: int, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidTicketData(field, "required")
    if len(value) > limit:
        raise InvalidTicketData(field, "too long")
    return value
