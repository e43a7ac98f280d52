"""Models of move-in: applications with their proof documents, accepted community
documents, unit invitations, and the key / access-card hand-over log.

Proof documents are kept as Telegram file references only (``file_id``): the
bytes stay on Telegram's servers and we purge the references a configurable
number of days after the decision (see :func:`core.residents.purge_documents`).
Invitation codes are never stored, only their HMAC (see :mod:`core.invitations`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow
from core.models import Person, ResidencyRole, Unit


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for staff
    MORE_INFO = "more_info"  # staff asked the applicant for more documents
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the applicant cancelled, or erased their data

    @property
    def is_open(self) -> bool:
        return self in (ApplicationStatus.SUBMITTED, ApplicationStatus.MORE_INFO)


OPEN_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.MORE_INFO)


class DocumentKind(enum.StrEnum):
    ID = "id"  # identity card photo
    PROOF = "proof"  # property certificate, purchase or lease contract
    EXTRA = "extra"  # sent after staff asked for more


class AgreementKind(enum.StrEnum):
    RULES = "community_rules"  # 业主公约 / 管理规约
    CONTRACT = "service_contract"  # 物业服务合同


class HandoverItem(enum.StrEnum):
    KEYS = "keys"
    ACCESS_CARD = "access_card"


class HandoverDirection(enum.StrEnum):
    ISSUED = "issued"
    RETURNED = "returned"


class MoveInApplication(Base):
    """One person applying to live in one unit. Its residency is created PENDING
    with it and becomes ACTIVE (approve) or REJECTED (reject)."""

    __tablename__ = "movein_applications"
    __table_args__ = (
        Index("ix_movein_applications_community_status", "community_id", "status"),
        Index("ix_movein_applications_person", "person_id"),
        Index("ix_movein_applications_purge", "documents_purge_after"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    residency_id: Mapped[int] = mapped_column(
        ForeignKey("residencies.id", ondelete="CASCADE"), unique=True
    )
    role: Mapped[ResidencyRole] = mapped_column(str_enum(ResidencyRole))
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus), default=ApplicationStatus.SUBMITTED
    )
    # What the applicant told us; the person's profile may change later.
    full_name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    end_date: Mapped[date | None] = mapped_column(Date)  # tenants: lease end
    staff_request: Mapped[str | None] = mapped_column(Text)  # "ask for more" text
    decision_reason: Mapped[str | None] = mapped_column(Text)  # rejection reason
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The review card in the admin group, edited when the application is decided.
    admin_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    admin_message_id: Mapped[int | None] = mapped_column(BigInteger)
    documents_purge_after: Mapped[datetime | None]
    documents_purged_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    unit: Mapped[Unit] = relationship()
    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application", order_by="ApplicationDocument.id"
    )


class ApplicationDocument(Base):
    """A Telegram file reference the applicant sent as proof.

    While the conversation is still going the row has no ``application_id``
    (a draft upload): photos of an album arrive as separate, concurrent updates,
    and a row each is the one write that cannot lose a sibling.
    """

    __tablename__ = "movein_documents"
    __table_args__ = (Index("ix_movein_documents_person_draft", "person_id", "application_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("movein_applications.id", ondelete="CASCADE")
    )
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    media: Mapped[str] = mapped_column(String(16))  # "photo" | "document"
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(128))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[MoveInApplication | None] = relationship(back_populates="documents")


class AgreementAcceptance(Base):
    """Proof that a person accepted a given version of a community document."""

    __tablename__ = "agreement_acceptances"
    __table_args__ = (Index("ix_agreement_acceptances_person", "person_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    residency_id: Mapped[int | None] = mapped_column(
        ForeignKey("residencies.id", ondelete="SET NULL")
    )
    document: Mapped[AgreementKind] = mapped_column(str_enum(AgreementKind, length=32))
    version: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the exact text shown, so "which version" survives template edits.
    content_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    """An invitation to join one unit. Several household members may redeem it,
    each once, up to ``max_uses``; it can be revoked and it expires.

    ``role`` is fixed for invitations an owner creates for family members; a
    letterbox invitation from the property office leaves it to the redeemer.
    """

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_unit", "unit_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[ResidencyRole | None] = mapped_column(str_enum(ResidencyRole))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Set for family invitations: revoked when that residency ends.
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_by_residency_id: Mapped[int | None] = mapped_column(
        ForeignKey("residencies.id", ondelete="CASCADE")
    )

    unit: Mapped[Unit] = relationship()


class InvitationRedemption(Base):
    __tablename__ = "invitation_redemptions"
    __table_args__ = (UniqueConstraint("invitation_id", "person_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    residency_id: Mapped[int] = mapped_column(ForeignKey("residencies.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class InvitationFailure(Base):
    """A wrong code typed by someone: the throttle counts these."""

    __tablename__ = "invitation_failures"
    __table_args__ = (Index("ix_invitation_failures_tg_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyHandover(Base):
    """Keys and access cards given to (or taken back from) a resident."""

    __tablename__ = "key_handovers"
    __table_args__ = (Index("ix_key_handovers_residency", "residency_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    residency_id: Mapped[int] = mapped_column(ForeignKey("residencies.id", ondelete="CASCADE"))
    item: Mapped[HandoverItem] = mapped_column(str_enum(HandoverItem))
    direction: Mapped[HandoverDirection] = mapped_column(str_enum(HandoverDirection))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
