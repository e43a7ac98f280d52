"""Ticket tables: the ticket, its deadlines, history, chat message links, drafts.

A ticket is numbered per community (``#12``). Its promises to the resident are
rows of :class:`TicketDeadline` — each with its own "warning sent", "overdue
sent" and "escalated" stamps, so the scheduler fires every notice exactly once
even across restarts and with several processes (the stamps are set by
conditional UPDATEs). Every status change appends a :class:`TicketEvent`.
:class:`TicketMessageLink` maps chat messages (the card in the admin group,
messages relayed to and from the resident) to their ticket, so a reply to any
of them finds its way.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow
from core.privacy import on_person_erased, on_personal_export

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class TicketKind(enum.StrEnum):
    REPAIR = "repair"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    HAZARD = "hazard"


class RepairCategory(enum.StrEnum):
    WATER = "water"
    ELECTRICITY = "electricity"
    GAS = "gas"
    ELEVATOR = "elevator"
    DOOR_ACCESS = "door_access"
    COMMON_AREA = "common_area"
    OTHER = "other"


class HazardType(enum.StrEnum):
    FIRE_LANE = "fire_lane"  # 消防通道被占
    THROWN_OBJECT = "thrown_object"  # 高空抛物
    GARBAGE_SORTING = "garbage_sorting"  # 垃圾未分类
    SAFETY_RISK = "safety_risk"  # 其他安全隐患


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    TAKEN = "taken"  # acknowledged: someone took it or was assigned
    ON_SITE = "on_site"
    RESOLVED = "resolved"  # staff say done; waiting for the resident's confirmation
    CLOSED = "closed"  # confirmed by the resident, or auto-closed after 7 days
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# Staff still owe work on these.
OPEN_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.TAKEN, TicketStatus.ON_SITE})
# Nothing can happen to these any more (except reading them).
FINAL_STATUSES = frozenset({TicketStatus.CLOSED, TicketStatus.REJECTED, TicketStatus.CANCELLED})
# Kinds about a place: filed for a home or a common area (described or pinned), with
# an urgency; complaints and suggestions are filed for a home, at normal urgency.
PLACED_KINDS = frozenset({TicketKind.REPAIR, TicketKind.HAZARD})


class DeadlineKind(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"  # someone took the ticket
    ON_SITE = "on_site"  # someone is at the place
    FIRST_RESPONSE = "first_response"  # the resident got a first answer
    RESOLVE = "resolve"  # the work is done


class TicketEventType(enum.StrEnum):
    FILED = "filed"
    TAKEN = "taken"
    ASSIGNED = "assigned"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    AUTO_CLOSED = "auto_closed"
    ESCALATED = "escalated"


class LinkRole(enum.StrEnum):
    """What a linked chat message is, for replies and for re-editing the card."""

    CARD = "card"  # the ticket card in the admin group
    GROUP_MEDIA = "group_media"  # the resident's photos/video posted in the group
    TO_RESIDENT = "to_resident"  # a staff message relayed to the resident
    FROM_RESIDENT = "from_resident"  # a resident message relayed into the group
    NOTICE = "notice"  # a bot message about the ticket in the resident's chat
    GROUP_NOTICE = "group_notice"  # a bot message about the ticket in the group


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("community_id", "number"),
        Index("ix_tickets_community_status", "community_id", "status"),
        Index("ix_tickets_reporter_created", "reporter_person_id", "created_at"),
        Index("ix_tickets_topic", "admin_chat_id", "topic_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[TicketKind] = mapped_column(str_enum(TicketKind))
    category: Mapped[RepairCategory | None] = mapped_column(str_enum(RepairCategory))
    hazard: Mapped[HazardType | None] = mapped_column(str_enum(HazardType))
    # The resident's own unit, or (common area) None with text and/or coordinates.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    location_text: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus), default=TicketStatus.NEW)
    # [{"type": "photo" | "video", "file_id": "...", "file_unique_id": "..."}]
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reporter_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    assignee_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    # Where the ticket lives in the admin group: the chat it was posted to, its
    # forum topic (None in a non-forum group) and the card message.
    admin_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    on_site_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic locking: two staff pressing "Take" at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    deadlines: Mapped[list[TicketDeadline]] = relationship(
        back_populates="ticket",
        order_by="(TicketDeadline.due_at, TicketDeadline.id)",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket",
        order_by="(TicketEvent.at, TicketEvent.id)",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_common_area(self) -> bool:
        return self.unit_id is None


class TicketDeadline(Base):
    """One promise with its due time and the notices already sent about it.

    ``round`` starts at 0; reopening a ticket adds a fresh round of the
    resolve deadline (a new promise), leaving the old one in the statistics.
    """

    __tablename__ = "ticket_deadlines"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "round"),
        Index("ix_ticket_deadlines_pending", "met_at", "voided_at", "warn_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[DeadlineKind] = mapped_column(str_enum(DeadlineKind))
    round: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime]
    escalate_at: Mapped[datetime]
    met_at: Mapped[datetime | None]
    # Set when the promise no longer applies (ticket cancelled or rejected).
    voided_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    overdue_notified_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="deadlines")

    @property
    def is_pending(self) -> bool:
        return self.met_at is None and self.voided_at is None

    def was_met_in_time(self) -> bool | None:
        """True/False once decided; None while it can still go either way."""
        if self.voided_at is not None:
            return None
        if self.met_at is not None:
            return self.met_at <= self.due_at
        return None


class TicketEvent(Base):
    """The ticket's history, shown in "My tickets" and on the card."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[TicketEventType] = mapped_column(str_enum(TicketEventType))
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketMessageLink(Base):
    """A chat message that belongs to a ticket (for reply routing and card edits)."""

    __tablename__ = "ticket_message_links"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index("ix_ticket_message_links_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[LinkRole] = mapped_column(str_enum(LinkRole))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketCounter(Base):
    """The last ticket number handed out in a community (row-locked while numbering)."""

    __tablename__ = "ticket_counters"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class TicketDraftMedia(Base):
    """Photos/videos collected while a resident is filing a ticket.

    An album reaches the bot as several updates handled concurrently; a row per
    item (instead of a list in the conversation data) means no item is lost to
    a read-modify-write race. ``draft_key`` is a random key kept in the
    conversation data, so leftovers of an abandoned draft never leak into the
    next one; the cleanup job removes them.
    """

    __tablename__ = "ticket_draft_media"
    __table_args__ = (
        UniqueConstraint("draft_key", "file_unique_id"),
        Index("ix_ticket_draft_media_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    draft_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "photo" | "video"
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(128))
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketDigest(Base):
    """Which morning digests were posted (one per community per local day)."""

    __tablename__ = "ticket_digests"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


# Registered with the tables, so that any process that imports them puts the person's
# tickets in their /privacy export and blanks what they wrote when they erase their data.
@on_personal_export("tickets")
async def _export_tickets(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    from core.tickets.own_data import personal_ticket_data

    return await personal_ticket_data(session, person_id)


@on_person_erased("tickets")
async def _blank_ticket_text_on_erasure(session: AsyncSession, person_id: int) -> None:
    from core.tickets.own_data import erase_reporter_text

    await erase_reporter_text(session, person_id)
