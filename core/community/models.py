"""Notices and their per-recipient deliveries; owners' votes and their ballots.

A :class:`Notice` is written once, when staff send it (or schedule it); its
audience is resolved at that moment into one :class:`NoticeDelivery` row per
resident and phase (the notice itself, an outage's reminder, its end). A row is
claimed before its message is sent and marked after, so a restart resumes the
rows still pending and never sends a marked one again
(docs/decisions/0027-community-notices-and-votes.md).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, str_enum, utcnow
from core.privacy import on_person_erased, on_personal_export


class NoticeKind(enum.StrEnum):
    GENERAL = "general"
    OUTAGE = "outage"
    EMERGENCY = "emergency"
    # Messages of an owners' vote (the notice's vote_id), written by the vote's jobs.
    VOTE_OPEN = "vote_open"
    VOTE_REMINDER = "vote_reminder"
    VOTE_RESULT = "vote_result"
    # A community event's announcement (core.community.event_models.Event.notice_id).
    EVENT = "event"


#: The kinds staff compose by hand.
COMPOSED_KINDS = (NoticeKind.GENERAL, NoticeKind.OUTAGE, NoticeKind.EMERGENCY)


class Audience(enum.StrEnum):
    ALL = "all"
    OWNERS = "owners"
    TENANTS = "tenants"
    UNITS = "units"  # every resident of the units in unit_ids


class NoticeStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # rows written, waiting for send_at
    SENDING = "sending"
    SENT = "sent"  # every row of the notice phase is marked


class Phase(enum.StrEnum):
    NOTICE = "notice"
    REMINDER = "reminder"  # an outage starts soon
    ENDED = "ended"  # an outage is over


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_community", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience))
    # Building ids the notice is for; empty: every building.
    building_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Unit ids (audience UNITS); None or empty: not limited to units.
    unit_ids: Mapped[list[int] | None] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    # The same notice in a second language: residents of that locale get it.
    alt_locale: Mapped[str | None] = mapped_column(String(8))
    alt_title: Mapped[str | None] = mapped_column(String(120))
    alt_body: Mapped[str | None] = mapped_column(Text)
    # A Telegram file id: the photo or PDF sent with the text as its caption.
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(255))
    starts_at: Mapped[datetime | None]  # an outage's window
    ends_at: Mapped[datetime | None]
    send_at: Mapped[datetime]
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus))
    reminded_at: Mapped[datetime | None]
    ended_told_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]  # the delivery report posted to staff
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    # An outage's extension is a new notice to those the first reached, naming it.
    extends_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeDelivery(Base):
    __tablename__ = "notice_deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "person_id", "phase"),
        Index("ix_notice_deliveries_due", "status", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    # None after the person's erasure: the counts stay, the link goes.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    phase: Mapped[Phase] = mapped_column(str_enum(Phase))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]


# ------------------------------------------------------------------ owners' votes


class VoteMatter(enum.StrEnum):
    """Which rule of Civil Code art. 278 decides (see :mod:`core.community.tally`)."""

    ORDINARY = "ordinary"  # more than half of the participating area and owners
    SPECIAL = "special"  # ¾ of both: the maintenance fund, rebuilding, common parts' use
    RENOVATION = "renovation"  # starting an old-community renovation: every household


class VoteStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class VoteChoice(enum.StrEnum):
    AGREE = "agree"
    AGAINST = "against"
    ABSTAIN = "abstain"


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_due", "status", "deadline"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    opened_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(Text)
    matter: Mapped[VoteMatter] = mapped_column(str_enum(VoteMatter))
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    building_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    deadline: Mapped[datetime]
    status: Mapped[VoteStatus] = mapped_column(str_enum(VoteStatus))
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # The tally at the deadline (core.community.tally.Tally.as_dict), kept as computed.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class VoteUnit(Base):
    """A unit entitled to vote, with its area, as the registry had them at opening."""

    __tablename__ = "vote_units"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # Units with an owner in common share a key (their smallest unit id): one owner
    # in the headcount, however many units (core.community.tally). None: its own.
    owner_key: Mapped[int | None] = mapped_column(BigInteger)


class Ballot(Base):
    """One per unit and vote: the first owner's cast counts, and is never changed."""

    __tablename__ = "vote_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "unit_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    choice: Mapped[VoteChoice] = mapped_column(str_enum(VoteChoice))
    # None after the voter's erasure: the ballot still counts, the link is gone.
    cast_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    cast_at: Mapped[datetime]


# Registered with the tables, so that any process that imports them puts the person's
# ballots and notices in their /privacy export and unlinks them on erasure.
@on_personal_export("community")
async def _export(session: AsyncSession, person_id: int) -> dict[str, Any]:
    from core.community.own_data import personal_community_data

    return await personal_community_data(session, person_id)


@on_person_erased("community")
async def _erase(session: AsyncSession, person_id: int) -> None:
    from core.community.own_data import erase_community_links

    await erase_community_links(session, person_id)
