"""Tables of face access: consent records, encrypted templates, and the change counter.

- :class:`FaceConsent` — one row per consent given: whose face, who gave it (the person,
  or an owner as guardian of a child under 14, or an owner for a household member), the
  version and digest of the exact text shown, the language, the time; and when and why
  it ended. Consent rows hold no biometric data and are kept as the record that the
  processing was lawful.
- :class:`FaceTemplate` — 1 to 3 templates per person and community, each encrypted
  (AES-GCM, :mod:`access.faces.crypto`) with the row id, person and community as
  authenticated context, so a blob copied onto another row or person does not decrypt.
  ``pending`` rows belong to an enrollment in progress and never reach the gate.
- :class:`FaceLookalike` — two people of one community whose templates are nearer than
  the look-alike guard distance: face alone opens for neither (the gate asks for a
  second factor). Found at enrollment; deleting either face removes the pair.
- :class:`FaceGateLiveness` — a gate's liveness policy (``challenge`` when no row: the
  default for every gate), the terminals registered as liveness-capable, and who chose
  it; :class:`FaceChallenge` — a single-use random action handed to a terminal.
- :class:`FaceIndexVersion` — a counter per community, bumped in the same transaction as
  every change of that community's templates. Each process keeps its in-memory index
  and rebuilds it when the counter moved (:mod:`access.faces.registry`).

Photos are never stored anywhere.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, str_enum, utcnow
from core.lifecycle import on_residency_ended
from core.privacy import on_person_erased, on_personal_export

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.models import Residency


class ConsentKind(enum.StrEnum):
    #: The person agreed in their own chat.
    SELF = "self"
    #: An owner of the unit consented as parent or guardian of a child under 14.
    GUARDIAN = "guardian"
    #: An owner confirmed that an adult household member without Telegram agreed.
    HOUSEHOLD = "household"
    #: A household member agreed in their own chat, at an owner's request.
    MEMBER = "member"


class TemplateStatus(enum.StrEnum):
    PENDING = "pending"  # enrollment in progress: never searched
    ACTIVE = "active"


class FaceConsent(Base):
    __tablename__ = "face_consents"
    __table_args__ = (Index("ix_face_consents_subject", "subject_person_id", "community_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    subject_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    given_by_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # The owner who asked (household members); None when the subject asked themselves.
    requested_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    kind: Mapped[ConsentKind] = mapped_column(str_enum(ConsentKind))
    minor: Mapped[bool] = mapped_column(Boolean, default=False)
    text_version: Mapped[str] = mapped_column(String(16))
    text_sha256: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # deleted (by the person or an owner), moved_out, superseded, erased
    end_reason: Mapped[str | None] = mapped_column(String(24))


class FaceTemplate(Base):
    __tablename__ = "face_templates"
    __table_args__ = (
        Index("ix_face_templates_community_status", "community_id", "status"),
        Index("ix_face_templates_person", "person_id", "community_id"),
        Index("ix_face_templates_enrollment", "enrollment"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("face_consents.id", ondelete="CASCADE"))
    status: Mapped[TemplateStatus] = mapped_column(str_enum(TemplateStatus))
    # Random key of the enrollment conversation that made a pending row.
    enrollment: Mapped[str | None] = mapped_column(String(32))
    # The engine's model: templates of another model are not comparable and are ignored.
    model: Mapped[str] = mapped_column(String(40))
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    enrolled_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaceLookalike(Base):
    """A look-alike pair: ``person_a_id < person_b_id``, nearest templates ``distance``."""

    __tablename__ = "face_lookalikes"
    __table_args__ = (
        UniqueConstraint("community_id", "person_a_id", "person_b_id"),
        Index("ix_face_lookalikes_b", "person_b_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    person_a_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    person_b_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    distance: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaceGateLiveness(Base):
    """How a gate makes sure a face is a live person (see :mod:`access.faces.liveness`)."""

    __tablename__ = "face_gate_liveness"

    gate_id: Mapped[int] = mapped_column(
        ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True
    )
    # terminal | challenge | off
    mode: Mapped[str] = mapped_column(String(12))
    # Terminal names registered as liveness-capable (IR or depth camera), for "terminal".
    capable_terminals: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Who chose it, as given to the command (a manager's name), and when.
    chosen_by: Mapped[str] = mapped_column(String(120), default="")
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaceChallenge(Base):
    """A random action the gate asked a terminal for; redeemed once, shortly after."""

    __tablename__ = "face_challenges"
    __table_args__ = (
        Index("ix_face_challenges_token", "token_hash", unique=True),
        Index("ix_face_challenges_expires", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gates.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(12))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class FaceIndexVersion(Base):
    __tablename__ = "face_index_versions"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# Registered with the tables, so that any process that can end a residency (the bot,
# the CLI, a job) deletes the templates in the same transaction.
@on_residency_ended("faces")
async def _delete_templates_on_move_out(session: AsyncSession, residency: Residency) -> None:
    from access.faces.store.deletion import on_residency_ended_delete

    await on_residency_ended_delete(session, residency)


@on_personal_export("faces")
async def _export_face_data(session: AsyncSession, person_id: int) -> dict[str, object]:
    from access.faces.store.own_data import personal_face_data

    return await personal_face_data(session, person_id)


@on_person_erased("faces")
async def _delete_templates_on_erasure(session: AsyncSession, person_id: int) -> None:
    from access.faces.store.deletion import on_person_erased_delete

    await on_person_erased_delete(session, person_id)
