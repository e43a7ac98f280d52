"""Relay bookkeeping: where the ticket's card and topic are in the admin group, which
chat messages belong to which ticket, staff's first answer and escalations."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.tickets.common import (
    insert_for,
    record_event,
    save_ticket,
)
from core.tickets.models import (
    DeadlineKind,
    LinkRole,
    Ticket,
    TicketDeadline,
    TicketEventType,
    TicketMessageLink,
)


async def record_staff_answer(
    session: AsyncSession, clock: Clock, ticket: Ticket, actor_person_id: int | None
) -> bool:
    """A staff message reached the resident; True when it was the first answer.

    Conditional UPDATEs rather than a versioned save: a chat message must never
    fail because someone pressed a button on the card at the same moment.
    """
    now = clock.now()
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.first_response_at.is_(None))
        .values(first_response_at=now)
        .execution_options(synchronize_session=False)
    )
    first = getattr(result, "rowcount", 0) == 1
    met = await session.execute(
        update(TicketDeadline)
        .where(
            TicketDeadline.ticket_id == ticket.id,
            TicketDeadline.kind == DeadlineKind.FIRST_RESPONSE,
            TicketDeadline.met_at.is_(None),
            TicketDeadline.voided_at.is_(None),
        )
        .values(met_at=now)
        .execution_options(synchronize_session=False)
    )
    if first or getattr(met, "rowcount", 0):
        await session.refresh(ticket, ["first_response_at", "deadlines"])
    return first


async def record_escalation(
    session: AsyncSession, clock: Clock, ticket: Ticket, deadline_kind: DeadlineKind
) -> None:
    now = clock.now()
    record_event(ticket, TicketEventType.ESCALATED, now, None, deadline=deadline_kind.value)
    await save_ticket(session, ticket, now)


async def set_admin_placement(
    session: AsyncSession,
    ticket: Ticket,
    *,
    chat_id: int,
    topic_id: int | None,
    card_message_id: int,
) -> None:
    """Remember where the ticket's topic and card are (published once)."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(admin_chat_id=chat_id, topic_id=topic_id, card_message_id=card_message_id)
        .execution_options(synchronize_session=False)
    )
    ticket.admin_chat_id = chat_id
    ticket.topic_id = topic_id
    ticket.card_message_id = card_message_id
    await link_message(session, ticket.id, chat_id, card_message_id, LinkRole.CARD)


async def link_message(
    session: AsyncSession, ticket_id: int, chat_id: int, message_id: int, role: LinkRole
) -> None:
    """Remember that a chat message belongs to a ticket (idempotent)."""
    insert = insert_for(session)
    await session.execute(
        insert(TicketMessageLink)
        .values(ticket_id=ticket_id, chat_id=chat_id, message_id=message_id, role=role.value)
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )
