"""Finding tickets and the staff who work on them: by id, number, topic or relayed
message; a reporter's, the open and the overdue ones; who can be assigned."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import (
    Community,
    Person,
    Staff,
    StaffRole,
)
from core.tickets.common import (
    ASSIGNABLE_ROLES,
    TicketNotFound,
    with_details,
)
from core.tickets.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Ticket,
    TicketDeadline,
    TicketMessageLink,
    TicketStatus,
)


async def get_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.id == ticket_id).options(*with_details())
    )
    if ticket is None:
        raise TicketNotFound(str(ticket_id))
    return ticket


async def find_ticket_by_number(
    session: AsyncSession, community_id: int, number: int
) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.community_id == community_id, Ticket.number == number)
        .options(*with_details())
    )


async def find_ticket_by_topic(session: AsyncSession, chat_id: int, topic_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.admin_chat_id == chat_id, Ticket.topic_id == topic_id)
        .order_by(Ticket.id.desc())
        .limit(1)
        .options(*with_details())
    )


async def find_ticket_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Ticket | None:
    ticket_id = await session.scalar(
        select(TicketMessageLink.ticket_id).where(
            TicketMessageLink.chat_id == chat_id, TicketMessageLink.message_id == message_id
        )
    )
    if ticket_id is None:
        return None
    return await get_ticket(session, ticket_id)


# Built once (decision 0010): asked for every free text a resident sends.
_HAS_ACTIVE = (
    select(Ticket.id)
    .where(
        Ticket.reporter_person_id == bindparam("person_id"),
        Ticket.status.not_in(list(FINAL_STATUSES)),
        Ticket.admin_chat_id.is_not(None),
    )
    .limit(1)
)


async def has_active_ticket(session: AsyncSession, person_id: int) -> bool:
    """Whether the person reported a ticket that is not final and has a topic."""
    connection = await session.connection()  # Core, not the ORM: a bare look-up
    found = await connection.execute(_HAS_ACTIVE, {"person_id": person_id})
    return found.first() is not None


async def tickets_of_reporter(
    session: AsyncSession, person_id: int, *, limit: int = 10
) -> list[Ticket]:
    """The person's tickets, those still needing something first, newest first."""
    rows = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.reporter_person_id == person_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(50)
            .options(*with_details())
        )
    ).all()
    active = [t for t in rows if not t.is_final]
    done = [t for t in rows if t.is_final]
    return (active + done)[:limit]


async def open_tickets(session: AsyncSession, community_id: int) -> list[Ticket]:
    return list(
        (
            await session.scalars(
                select(Ticket)
                .where(
                    Ticket.community_id == community_id,
                    Ticket.status.in_(list(OPEN_STATUSES)),
                )
                .order_by(Ticket.number)
                .options(*with_details())
            )
        ).all()
    )


async def overdue_tickets(
    session: AsyncSession, community_id: int, now: datetime
) -> list[tuple[Ticket, list[TicketDeadline]]]:
    """Open tickets with at least one passed, unmet deadline, most overdue first."""
    result = []
    for ticket in await open_tickets(session, community_id):
        late = [d for d in ticket.deadlines if d.is_pending and d.due_at <= now]
        if late:
            result.append((ticket, sorted(late, key=lambda d: d.due_at)))
    result.sort(key=lambda pair: pair[1][0].due_at)
    return result


async def assignable_staff(session: AsyncSession, community_id: int) -> list[tuple[Person, Staff]]:
    rows = (
        await session.execute(
            select(Person, Staff)
            .join(Staff, Staff.person_id == Person.id)
            .where(
                Staff.community_id == community_id,
                Staff.active.is_(True),
                Staff.role.in_(list(ASSIGNABLE_ROLES)),
            )
            .order_by(Staff.role, Person.full_name, Person.id)
        )
    ).all()
    return [(p, s) for p, s in rows]


async def managers(session: AsyncSession, community_id: int) -> list[Person]:
    return list(
        (
            await session.scalars(
                select(Person)
                .join(Staff, Staff.person_id == Person.id)
                .where(
                    Staff.community_id == community_id,
                    Staff.active.is_(True),
                    Staff.role == StaffRole.MANAGER,
                )
                .order_by(Person.id)
            )
        ).all()
    )


async def tickets_to_publish(session: AsyncSession, *, limit: int = 20) -> list[Ticket]:
    """Tickets not yet posted to their community's admin group (the group was not
    bound yet, or Telegram failed); the publisher job retries them."""
    return list(
        (
            await session.scalars(
                select(Ticket)
                .join(Community, Community.id == Ticket.community_id)
                .where(
                    Ticket.card_message_id.is_(None),
                    Community.admin_chat_id.is_not(None),
                    Ticket.status.not_in([TicketStatus.CANCELLED]),
                )
                .order_by(Ticket.id)
                .limit(limit)
                .options(*with_details())
            )
        ).all()
    )
