"""A reporter's own ticket data: their /privacy export section and what their erasure
blanks (see :mod:`core.privacy`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.models import (
    Building,
    Community,
    Person,
    Unit,
)
from core.privacy import export_time
from core.tickets.models import (
    OPEN_STATUSES,
    LinkRole,
    Ticket,
    TicketEvent,
    TicketEventType,
    TicketMessageLink,
)

# The two sides of the conversation between the reporter and staff; of each relayed
# message a link is kept in the reporter's private chat (positive chat id) and one in
# the admin group (negative): the reporter's side counts each message once.
_CONVERSATION = {LinkRole.FROM_RESIDENT: "from_me", LinkRole.TO_RESIDENT: "to_me"}


async def personal_ticket_data(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    """The tickets ``person_id`` filed, for their /privacy export, oldest first.

    What they wrote (description, location, rating comment, reopen reasons), what
    happened and when, staff's answer when they rejected it, and the conversation
    with staff as it is stored: the time, direction and Telegram message id of
    each relayed message (the text stays in the chats, it is not kept here).
    Attachments are listed by kind and Telegram's ``file_unique_id``, never their
    bytes (nor the ``file_id`` that would fetch them). Who
    on the staff took or was assigned the ticket is not included: that is about
    them, not the reporter.
    """
    rows = (
        await session.execute(
            select(Ticket, Community.name, Building.name, Unit.number)
            .join(Community, Community.id == Ticket.community_id)
            .outerjoin(Unit, Unit.id == Ticket.unit_id)
            .outerjoin(Building, Building.id == Unit.building_id)
            .where(Ticket.reporter_person_id == person_id)
            .order_by(Ticket.created_at, Ticket.id)
            .options(selectinload(Ticket.events))
        )
    ).all()
    ids = [ticket.id for ticket, *_ in rows]
    messages: dict[int, list[dict[str, Any]]] = {}
    if ids:
        links = (
            await session.scalars(
                select(TicketMessageLink)
                .where(
                    TicketMessageLink.ticket_id.in_(ids),
                    TicketMessageLink.role.in_(list(_CONVERSATION)),
                    TicketMessageLink.chat_id > 0,
                )
                .order_by(TicketMessageLink.created_at, TicketMessageLink.id)
            )
        ).all()
        for link in links:
            messages.setdefault(link.ticket_id, []).append(
                {
                    "at": export_time(link.created_at),
                    "direction": _CONVERSATION[link.role],
                    "telegram_message_id": link.message_id,
                }
            )

    def by(actor: int | None) -> str:
        return "me" if actor == person_id else "staff" if actor is not None else "courtyard"

    def history(ticket: Ticket) -> list[dict[str, Any]]:
        shown = ("reason", "rating", "deadline")  # never "assignee": a staff member's id
        return [
            {
                "at": export_time(e.at),
                "event": e.type.value,
                "status": e.status.value,
                "by": by(e.actor_person_id),
                **{k: v for k, v in (e.details or {}).items() if k in shown},
            }
            for e in ticket.events
        ]

    return [
        {
            "community": community,
            "number": t.number,
            "kind": t.kind.value,
            "category": t.category.value if t.category else None,
            "hazard": t.hazard.value if t.hazard else None,
            "unit": f"{building}-{number}" if building else None,
            "location": t.location_text,
            "latitude": t.latitude,
            "longitude": t.longitude,
            "urgency": t.urgency.value,
            "status": t.status.value,
            "description": t.description,
            "attachments": [
                {"kind": m.get("type"), "telegram_file_unique_id": m.get("file_unique_id")}
                for m in t.media or []
            ],
            "reject_reason": t.reject_reason,
            "rating": t.rating,
            "rating_comment": t.rating_comment,
            "reopened": t.reopen_count,
            "created_at": export_time(t.created_at),
            "acknowledged_at": export_time(t.acknowledged_at),
            "first_response_at": export_time(t.first_response_at),
            "on_site_at": export_time(t.on_site_at),
            "resolved_at": export_time(t.resolved_at),
            "closed_at": export_time(t.closed_at),
            "history": history(t),
            "messages": messages.get(t.id, []),
        }
        for t, community, building, number in rows
    ]


async def erase_reporter_text(session: AsyncSession, person_id: int) -> None:
    """Erasure (/privacy): blank what the person wrote in their tickets.

    Tickets staff have finished with (resolved, closed, rejected, cancelled) lose
    the description, location, attachments, rating comment and the person's reopen
    reasons; kind, category, unit, status, times and the rating stay for the
    service statistics. Tickets still being worked on keep their text — staff need
    it to do the repair, and a hazard must not vanish because its reporter left.
    Every ticket loses its links to the person's private chat, so a reply from that
    chat (now a stranger's) no longer reaches a ticket.
    """
    telegram_id = await session.scalar(select(Person.telegram_id).where(Person.id == person_id))
    mine = select(Ticket.id).where(Ticket.reporter_person_id == person_id)
    done = mine.where(Ticket.status.not_in(list(OPEN_STATUSES)))
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(done))
        .values(
            description="",
            location_text="",
            latitude=None,
            longitude=None,
            media=[],
            rating_comment="",
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(TicketEvent)
        .where(
            TicketEvent.ticket_id.in_(done),
            TicketEvent.actor_person_id == person_id,
            TicketEvent.type == TicketEventType.REOPENED,
        )
        .values(details={})
        .execution_options(synchronize_session=False)
    )
    if telegram_id is not None:
        await session.execute(
            delete(TicketMessageLink).where(
                TicketMessageLink.ticket_id.in_(mine), TicketMessageLink.chat_id == telegram_id
            )
        )
