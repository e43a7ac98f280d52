"""Equipment tables: the items, maintenance plans, and the tasks the plans make.

An item is named uniquely in its community (the CSV import's key, so importing a
file twice changes nothing). A plan covers one item or every item of a kind; for
each period (ISO week, month, quarter, year in the community's time) it makes one
task per item — unique (plan, item, period) — due on the period's last day. A
task's "warned" and "escalated" stamps make each overdue notice go out once.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigIntPK, str_enum, utcnow
from core.models import StaffRole


class Equipment(Base):
    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))  # free text, lower-cased: "elevator"
    place: Mapped[str] = mapped_column(String(160), default="")
    building: Mapped[str] = mapped_column(String(60), default="")
    installed_on: Mapped[date | None] = mapped_column(Date)
    vendor: Mapped[str] = mapped_column(String(120), default="")
    responsible_role: Mapped[StaffRole] = mapped_column(
        str_enum(StaffRole), default=StaffRole.TECHNICIAN
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class MaintenancePlan(Base):
    __tablename__ = "maintenance_plans"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # One item, or every active item of ``kind``.
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    kind: Mapped[str | None] = mapped_column(String(40))
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency, 16))
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class MaintenanceTask(Base):
    __tablename__ = "maintenance_tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "equipment_id", "period"),
        Index("ix_maintenance_tasks_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id", ondelete="CASCADE"))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))  # 2026-W49, 2026-12, 2026-Q4, 2026
    due_on: Mapped[date] = mapped_column(Date)
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, 16), default=TaskStatus.OPEN)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    warned_at: Mapped[datetime | None] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    equipment: Mapped[Equipment] = relationship()


class EquipmentRepair(Base):
    """A repair ticket linked to the item it was about (one item per ticket)."""

    __tablename__ = "equipment_repairs"
    __table_args__ = (UniqueConstraint("ticket_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    linked_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class LightCheck(Base):
    """A light seen working or out on the month's light round (one row per light
    and month; the last word of the round wins)."""

    __tablename__ = "light_checks"
    __table_args__ = (UniqueConstraint("equipment_id", "month"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # 2026-12, the community's month
    working: Mapped[bool] = mapped_column(Boolean)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    checked_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
