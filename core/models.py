"""The ground every feature stands on: communities, their buildings and units,
people, residencies, staff, the audit log, conversation state and delivery failures.

Feature areas keep their own models in their own modules (``core/tickets/models.py``,
``access/models.py`` …) on the same :class:`~core.db.Base`; ``bot.all_models``
imports them all so Alembic sees one metadata.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow


class ResidencyRole(enum.StrEnum):
    OWNER = "owner"
    TENANT = "tenant"
    FAMILY = "family"


class ResidencyStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    ENDED = "ended"


class StaffRole(enum.StrEnum):
    MANAGER = "manager"
    TECHNICIAN = "technician"
    GUARD = "guard"
    ACCOUNTANT = "accountant"


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans")
    admin_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    admin_chat_is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    duty_phone: Mapped[str] = mapped_column(String(40), default="")
    # Per-community tunables (deadlines, limits) as a small JSON document; each
    # feature reads its own keys with defaults, see core.community_settings.
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    buildings: Mapped[list[Building]] = relationship(back_populates="community")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        Index("ix_units_community", "community_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(30))
    floor: Mapped[int | None]
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))

    building: Mapped[Building] = relationship(back_populates="units")

    @property
    def label(self) -> str:
        """Building and unit as residents write it, e.g. ``3栋-1201``."""
        return f"{self.building.name}-{self.number}"


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Nullable: a child enrolled by a parent may have no Telegram account.
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # The Telegram @username (without @) as last seen, so staff can name a person
    # the way they know them (the audit log's filter); None when they have none.
    username: Mapped[str | None] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Residency(Base):
    __tablename__ = "residencies"
    __table_args__ = (
        Index("ix_residencies_person_status", "person_id", "status"),
        Index("ix_residencies_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[ResidencyRole] = mapped_column(str_enum(ResidencyRole))
    status: Mapped[ResidencyStatus] = mapped_column(
        str_enum(ResidencyStatus), default=ResidencyStatus.PENDING
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ended_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    unit: Mapped[Unit] = relationship()


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("person_id", "community_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    community: Mapped[Community] = relationship()


class AuditEntry(Base):
    """Append-only record of who did what. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_community_at", "community_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConversationState(Base):
    """aiogram FSM state and data, so a conversation survives a restart."""

    __tablename__ = "conversation_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeliveryFailure(Base):
    """A message that could not be delivered (blocked bot, deleted account …).

    Features look these up to tell staff that a resident cannot be reached.
    """

    __tablename__ = "delivery_failures"
    __table_args__ = (Index("ix_delivery_failures_chat", "chat_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(255), default="")
