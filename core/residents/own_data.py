"""A person's own data (/privacy): what we hold, the export, the erasure.

The export and the erasure cover every area through the registry in
:mod:`core.privacy`, where each area registers its section and its erasure hook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.clock import Clock
from core.models import (
    Building,
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Staff,
    Unit,
)
from core.movein_models import (
    AgreementAcceptance,
    ApplicationDocument,
    ApplicationStatus,
    MoveInApplication,
)
from core.privacy import area_exports, erase_in_areas
from core.residency import active_residency_clause
from core.residents.applications import open_applications_of, withdraw_application
from core.residents.common import ResidentsError
from core.residents.residencies import end_residency


async def personal_export(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """The complete machine-readable export: this module's part and every area's."""
    export = personal_data_json(await personal_data(session, person_id))
    export.update(await area_exports(session, person_id))
    return export


@dataclass(frozen=True)
class ResidencyInfo:
    residency_id: int
    community_id: int
    community_name: str
    timezone: str
    unit_id: int
    unit_label: str
    role: ResidencyRole
    status: ResidencyStatus
    start_date: date | None
    end_date: date | None
    ended_at: datetime | None


@dataclass(frozen=True)
class ApplicationInfo:
    application_id: int
    unit_label: str
    community_name: str
    role: ResidencyRole
    status: ApplicationStatus
    submitted_at: datetime
    documents: int
    purge_after: datetime | None


@dataclass(frozen=True)
class PersonalData:
    person_id: int
    telegram_id: int | None
    full_name: str
    phone: str | None
    locale: str | None
    created_at: datetime
    residencies: list[ResidencyInfo]
    applications: list[ApplicationInfo]
    acceptances: list[AgreementAcceptance]
    staff_of: list[tuple[str, str]]
    username: str | None = None  # the Telegram @username as last seen


async def personal_data(session: AsyncSession, person_id: int) -> PersonalData:
    person = await session.get(Person, person_id)
    if person is None:
        raise ResidentsError("not_found")
    res_rows = (
        await session.execute(
            select(Residency, Unit, Building, Community)
            .join(Unit, Unit.id == Residency.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == Unit.community_id)
            .where(Residency.person_id == person_id)
            .order_by(Residency.id)
        )
    ).all()
    residencies = [
        ResidencyInfo(
            r.id,
            c.id,
            c.name,
            c.timezone,
            u.id,
            f"{b.name}-{u.number}",
            r.role,
            r.status,
            r.start_date,
            r.end_date,
            r.ended_at,
        )
        for r, u, b, c in res_rows
    ]
    doc_counts = (
        select(ApplicationDocument.application_id, func.count(ApplicationDocument.id).label("n"))
        .group_by(ApplicationDocument.application_id)
        .subquery()
    )
    app_rows = (
        await session.execute(
            select(MoveInApplication, Unit, Building, Community, doc_counts.c.n)
            .join(Unit, Unit.id == MoveInApplication.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == MoveInApplication.community_id)
            .outerjoin(doc_counts, doc_counts.c.application_id == MoveInApplication.id)
            .where(MoveInApplication.person_id == person_id)
            .order_by(MoveInApplication.id)
        )
    ).all()
    applications = [
        ApplicationInfo(
            a.id,
            f"{b.name}-{u.number}",
            c.name,
            a.role,
            a.status,
            a.submitted_at,
            int(n or 0),
            a.documents_purge_after if a.documents_purged_at is None else None,
        )
        for a, u, b, c, n in app_rows
    ]
    acceptances = list(
        (
            await session.scalars(
                select(AgreementAcceptance)
                .where(AgreementAcceptance.person_id == person_id)
                .order_by(AgreementAcceptance.id)
            )
        ).all()
    )
    staff_rows = (
        await session.execute(
            select(Community.name, Staff.role)
            .join(Community, Community.id == Staff.community_id)
            .where(Staff.person_id == person_id, Staff.active.is_(True))
        )
    ).all()
    return PersonalData(
        person.id,
        person.telegram_id,
        person.full_name,
        person.phone,
        person.locale,
        person.created_at,
        residencies,
        applications,
        acceptances,
        [(name, role.value) for name, role in staff_rows],
        person.username,
    )


def personal_data_json(data: PersonalData) -> dict[str, Any]:
    """The export a person downloads with /privacy (machine-readable, complete)."""
    return {
        "person": {
            "telegram_id": data.telegram_id,
            "full_name": data.full_name,
            "phone": data.phone,
            "username": data.username,
            "language": data.locale,
            "created_at": data.created_at.isoformat(),
        },
        "residencies": [
            {
                "community": r.community_name,
                "unit": r.unit_label,
                "role": r.role.value,
                "status": r.status.value,
                "start_date": r.start_date.isoformat() if r.start_date else None,
                "end_date": r.end_date.isoformat() if r.end_date else None,
            }
            for r in data.residencies
        ],
        "applications": [
            {
                "community": a.community_name,
                "unit": a.unit_label,
                "role": a.role.value,
                "status": a.status.value,
                "submitted_at": a.submitted_at.isoformat(),
                "documents_held": a.documents,
                "documents_deleted_after": a.purge_after.isoformat() if a.purge_after else None,
            }
            for a in data.applications
        ],
        "accepted_documents": [
            {
                "document": x.document.value,
                "version": x.version,
                "language": x.locale,
                "sha256": x.content_sha256,
                "accepted_at": x.accepted_at.isoformat(),
            }
            for x in data.acceptances
        ],
        "staff_of": [{"community": c, "role": r} for c, r in data.staff_of],
    }


async def erase_personal_data(session: AsyncSession, person_id: int, *, clock: Clock) -> None:
    """Forget a person: end their residencies (revoking what they hold), withdraw
    open applications, delete document references, clear name and phone, and
    unlink the Telegram account so the next contact starts afresh.

    What the law requires us to keep stays, without the name: the audit log and
    the record of which agreement version was accepted when.
    """
    person = await session.get(Person, person_id)
    if person is None:
        raise ResidentsError("not_found")
    if await session.scalar(
        select(Staff.id).where(Staff.person_id == person_id, Staff.active.is_(True))
    ):
        raise ResidentsError("is_staff")
    telegram_id = person.telegram_id
    for app in await open_applications_of(session, person_id):
        await withdraw_application(session, app.id, person_id, clock=clock)
    active = (
        await session.scalars(
            select(Residency.id).where(active_residency_clause(person_id=person_id))
        )
    ).all()
    for residency_id in active:
        await end_residency(
            session,
            residency_id,
            clock=clock,
            reason="data_erased",
            actor_person_id=person_id,
            actor_telegram_id=telegram_id,
        )
    await session.execute(
        delete(ApplicationDocument).where(ApplicationDocument.person_id == person_id)
    )
    await session.execute(
        update(MoveInApplication)
        .where(MoveInApplication.person_id == person_id)
        .values(full_name="", phone=None, documents_purged_at=clock.now())
    )
    await erase_in_areas(session, person_id)
    person.full_name = ""
    person.phone = None
    person.telegram_id = None
    await session.flush()
    await record_audit(
        session,
        "privacy.erased",
        actor_person_id=person_id,
        actor_telegram_id=telegram_id,
        target_type="person",
        target_id=person_id,
    )
