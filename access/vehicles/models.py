"""Vehicles: the plates residents register (staff approve them with the registration
certificate, 行驶证), and each community's black and white lists of plates.

A registered plate opens the community's vehicle gates while its registrant lives in
the unit it was registered for (the same rule as a pass's host,
:func:`access.store.DecisionStore.host_resides`); when the residency ends the
registration ends too (:func:`_end_vehicles_on_move_out`).

The certificate is never stored: only its Telegram file id, and only until staff
decide (:mod:`access.vehicles.registry`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from access.models import Pass
from access.plates import VehicleClass
from core.db import Base, BigIntPK, str_enum, utcnow
from core.lifecycle import on_residency_ended
from core.models import Residency
from core.privacy import on_person_erased, on_personal_export


class VehicleStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for staff, with the certificate's file id
    ACTIVE = "active"
    REJECTED = "rejected"
    ENDED = "ended"  # the residency ended, or the resident removed it


#: The statuses that hold a plate: one unit at a time per community.
HOLDING = (VehicleStatus.PENDING.value, VehicleStatus.ACTIVE.value)


class ListKind(enum.StrEnum):
    BLOCK = "block"  # never opens, whatever else it holds
    ALLOW = "allow"  # opens the vehicle gates without a registration or a pass


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        # A plate is held by one unit of a community at a time (pending or active):
        # the database refuses the second, so two residents racing cannot both win.
        Index(
            "uq_vehicles_plate",
            "community_id",
            "plate",
            unique=True,
            sqlite_where=text("status IN ('pending', 'active')"),
            postgresql_where=text("status IN ('pending', 'active')"),
        ),
        # The gate's look-up (SQLite does not use the partial index for status = ...).
        Index("ix_vehicles_plate", "community_id", "plate"),
        Index("ix_vehicles_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String(12))
    vehicle_class: Mapped[VehicleClass] = mapped_column(str_enum(VehicleClass, 16))
    status: Mapped[VehicleStatus] = mapped_column(
        str_enum(VehicleStatus, 12), default=VehicleStatus.PENDING
    )
    # The 行驶证 as Telegram holds it ("photo" or "document"), until staff decide.
    document_file_id: Mapped[str | None] = mapped_column(String(255))
    document_media: Mapped[str | None] = mapped_column(String(8))
    staff_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ended_at: Mapped[datetime | None]


class PlateListEntry(Base):
    __tablename__ = "plate_lists"
    __table_args__ = (Index("uq_plate_lists", "community_id", "plate", unique=True),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String(12))
    kind: Mapped[ListKind] = mapped_column(str_enum(ListKind, 8))
    note: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class VehicleVisit(Base):
    """One stay of a vehicle: its granted entry and (when seen) its exit, by plate.

    Written in the decision's transaction (:mod:`access.vehicles.passages`). ``inside``
    is cleared by the exit, or by the plate's next entry when an exit was never seen
    (then ``exited_at`` stays empty: the dwell is unknown, not invented)."""

    __tablename__ = "vehicle_visits"
    __table_args__ = (
        Index("ix_vehicle_visits_plate", "community_id", "plate", "inside"),
        Index("ix_vehicle_visits_at", "community_id", "entered_at"),
        Index("ix_vehicle_visits_pay", "pay_hash"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String(12))
    # Whose it is: a resident's registration (person, unit), a pass (its host's
    # unit), or neither (the white list).
    reason: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("passes.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime]
    entry_gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id", ondelete="SET NULL"))
    entry_log_id: Mapped[int | None] = mapped_column(BigIntPK)
    inside: Mapped[bool] = mapped_column(Boolean, default=True)
    exited_at: Mapped[datetime | None]
    exit_gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id", ondelete="SET NULL"))
    exit_log_id: Mapped[int | None] = mapped_column(BigIntPK)
    # Temporary parking (access.vehicles.parking): the class it is charged as, what
    # was paid, when, and the keyed hash of the code the exit terminal shows.
    vehicle_class: Mapped[str] = mapped_column(String(16), default="small")
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None]
    pay_hash: Mapped[str | None] = mapped_column(String(64))
    # The last payment's Telegram charge id: a payment reported twice counts once.
    paid_charge_id: Mapped[str | None] = mapped_column(String(128))


# Visitor passes are found by their plate at a vehicle gate (access.vehicles.plate_gate).
_pass_table = cast(Table, Pass.__table__)
Index("ix_passes_plate", _pass_table.c.community_id, _pass_table.c.car_plate)


@on_residency_ended("vehicles")
async def _end_vehicles_on_move_out(session: AsyncSession, residency: Residency) -> None:
    from access.vehicles.registry import end_vehicles_of_residency

    await end_vehicles_of_residency(session, residency)


@on_personal_export("vehicles")
async def _export_vehicles(session: AsyncSession, person_id: int) -> Any:
    from access.vehicles.registry import personal_vehicles

    return await personal_vehicles(session, person_id)


@on_person_erased("vehicles")
async def _erase_vehicles(session: AsyncSession, person_id: int) -> None:
    from access.vehicles.registry import erase_vehicles

    await erase_vehicles(session, person_id)
