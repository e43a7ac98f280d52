"""Move-in applications: submit, review (approve, reject, ask for more), withdraw.

:func:`submit_application` writes the whole application in one transaction (a
PENDING residency, the application, its documents, the accepted agreements); the
decisions are conditional updates, so two staff pressing at once cannot both decide."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.agreements import Acceptance, record_acceptances
from core.audit import record_audit
from core.clock import Clock
from core.models import (
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from core.movein_models import (
    OPEN_APPLICATION_STATUSES,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    MoveInApplication,
)
from core.residents.common import ResidentsError, community_today, retention_days
from core.residents.documents import clear_drafts, draft_count, draft_counts
from core.residents.homes import check_can_apply, load_unit


async def submit_application(
    session: AsyncSession,
    *,
    person_id: int,
    unit_id: int,
    role: ResidencyRole,
    full_name: str,
    phone: str,
    end_date: date | None,
    acceptances: list[Acceptance],
    clock: Clock,
) -> MoveInApplication:
    """Write the whole application at once: the conversation's final step."""
    unit = await load_unit(session, unit_id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    await check_can_apply(session, person_id, unit_id)
    full_name = full_name.strip()
    if not 1 <= len(full_name) <= 120:
        raise ResidentsError("bad_name")
    if role == ResidencyRole.TENANT:
        if end_date is None or end_date <= community_today(community, clock):
            raise ResidentsError("end_date_required")
    else:
        end_date = None
    counts = await draft_counts(session, person_id)
    if counts[DocumentKind.ID] < 1:
        raise ResidentsError("missing_id")
    if counts[DocumentKind.PROOF] < 1:
        raise ResidentsError("missing_proof")
    now = clock.now()
    residency = Residency(
        person_id=person_id,
        unit_id=unit_id,
        role=role,
        status=ResidencyStatus.PENDING,
        end_date=end_date,
        created_at=now,
    )
    session.add(residency)
    await session.flush()
    application = MoveInApplication(
        community_id=community.id,
        unit_id=unit_id,
        person_id=person_id,
        residency_id=residency.id,
        role=role,
        status=ApplicationStatus.SUBMITTED,
        full_name=full_name,
        phone=phone,
        end_date=end_date,
        submitted_at=now,
    )
    session.add(application)
    await session.flush()
    await session.execute(
        update(ApplicationDocument)
        .where(
            ApplicationDocument.person_id == person_id,
            ApplicationDocument.application_id.is_(None),
            ApplicationDocument.kind.in_([DocumentKind.ID, DocumentKind.PROOF]),
        )
        .values(application_id=application.id)
        .execution_options(synchronize_session=False)
    )
    await clear_drafts(session, person_id)
    person = await keep_joining_details(
        session,
        person_id=person_id,
        community_id=community.id,
        residency_id=residency.id,
        acceptances=acceptances,
        full_name=full_name,
        phone=phone,
    )
    await record_audit(
        session,
        "movein.submitted",
        community_id=community.id,
        actor_person_id=person_id,
        actor_telegram_id=person.telegram_id,
        target_type="application",
        target_id=application.id,
        details={"unit_id": unit_id, "role": role.value},
    )
    return application


async def keep_joining_details(
    session: AsyncSession,
    *,
    person_id: int,
    community_id: int,
    residency_id: int,
    acceptances: list[Acceptance],
    full_name: str,
    phone: str,
) -> Person:
    """What a person gives when joining a home, by application or by invitation:
    the agreements they accepted (for this residency), their name and phone."""
    await record_acceptances(
        session,
        person_id=person_id,
        community_id=community_id,
        residency_id=residency_id,
        acceptances=acceptances,
    )
    person = await session.get(Person, person_id)
    assert person is not None
    person.full_name = full_name
    person.phone = phone
    return person


async def get_application(session: AsyncSession, application_id: int) -> MoveInApplication:
    application = await session.scalar(
        select(MoveInApplication)
        .where(MoveInApplication.id == application_id)
        .options(
            selectinload(MoveInApplication.documents),
            selectinload(MoveInApplication.unit).selectinload(Unit.building),
            selectinload(MoveInApplication.person),
        )
        .execution_options(populate_existing=True)
    )
    if application is None:
        raise ResidentsError("not_found")
    return application


async def open_applications_of(session: AsyncSession, person_id: int) -> list[MoveInApplication]:
    return list(
        (
            await session.scalars(
                select(MoveInApplication)
                .where(
                    MoveInApplication.person_id == person_id,
                    MoveInApplication.status.in_(OPEN_APPLICATION_STATUSES),
                )
                .options(selectinload(MoveInApplication.unit).selectinload(Unit.building))
                .order_by(MoveInApplication.id)
            )
        ).all()
    )


async def _decide(
    session: AsyncSession,
    application_id: int,
    new_status: ApplicationStatus,
    *,
    from_statuses: tuple[ApplicationStatus, ...] = OPEN_APPLICATION_STATUSES,
    values: dict[str, Any],
) -> MoveInApplication:
    result = await session.execute(
        update(MoveInApplication)
        .where(MoveInApplication.id == application_id, MoveInApplication.status.in_(from_statuses))
        .values(status=new_status, **values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        if await session.get(MoveInApplication, application_id) is None:
            raise ResidentsError("not_found")
        raise ResidentsError("not_open")
    return await get_application(session, application_id)


async def approve_application(
    session: AsyncSession,
    application_id: int,
    *,
    staff_person_id: int,
    staff_telegram_id: int | None,
    clock: Clock,
) -> MoveInApplication:
    now = clock.now()
    current = await get_application(session, application_id)
    community = await session.get(Community, current.community_id)
    assert community is not None
    application = await _decide(
        session,
        application_id,
        ApplicationStatus.APPROVED,
        values={
            "decided_at": now,
            "decided_by_person_id": staff_person_id,
            "documents_purge_after": now + timedelta(days=retention_days(community)),
        },
    )
    residency = await session.get(Residency, application.residency_id)
    assert residency is not None
    residency.status = ResidencyStatus.ACTIVE
    residency.start_date = community_today(community, clock)
    residency.decided_at = now
    residency.decided_by_person_id = staff_person_id
    await session.flush()
    await record_audit(
        session,
        "movein.approved",
        community_id=community.id,
        actor_person_id=staff_person_id,
        actor_telegram_id=staff_telegram_id,
        target_type="application",
        target_id=application.id,
        details={"residency_id": residency.id, "unit_id": application.unit_id},
    )
    return application


async def reject_application(
    session: AsyncSession,
    application_id: int,
    reason: str,
    *,
    staff_person_id: int,
    staff_telegram_id: int | None,
    clock: Clock,
) -> MoveInApplication:
    now = clock.now()
    current = await get_application(session, application_id)
    community = await session.get(Community, current.community_id)
    assert community is not None
    application = await _decide(
        session,
        application_id,
        ApplicationStatus.REJECTED,
        values={
            "decided_at": now,
            "decided_by_person_id": staff_person_id,
            "decision_reason": reason.strip()[:1000],
            "documents_purge_after": now + timedelta(days=retention_days(community)),
        },
    )
    residency = await session.get(Residency, application.residency_id)
    assert residency is not None
    residency.status = ResidencyStatus.REJECTED
    residency.decided_at = now
    residency.decided_by_person_id = staff_person_id
    await session.flush()
    await record_audit(
        session,
        "movein.rejected",
        community_id=community.id,
        actor_person_id=staff_person_id,
        actor_telegram_id=staff_telegram_id,
        target_type="application",
        target_id=application.id,
        details={"reason": application.decision_reason},
    )
    return application


async def request_more_documents(
    session: AsyncSession,
    application_id: int,
    note: str,
    *,
    staff_person_id: int,
    staff_telegram_id: int | None,
) -> MoveInApplication:
    application = await _decide(
        session,
        application_id,
        ApplicationStatus.MORE_INFO,
        from_statuses=(ApplicationStatus.SUBMITTED,),
        values={"staff_request": note.strip()[:1000]},
    )
    await record_audit(
        session,
        "movein.more_requested",
        community_id=application.community_id,
        actor_person_id=staff_person_id,
        actor_telegram_id=staff_telegram_id,
        target_type="application",
        target_id=application.id,
        details={"note": application.staff_request},
    )
    return application


async def add_more_documents(
    session: AsyncSession, application_id: int, person_id: int
) -> MoveInApplication:
    """Attach the applicant's new uploads and put the application back in review."""
    application = await session.get(MoveInApplication, application_id)
    if application is None or application.person_id != person_id:
        raise ResidentsError("not_found")
    if application.status != ApplicationStatus.MORE_INFO:
        raise ResidentsError("not_open")
    if await draft_count(session, person_id, DocumentKind.EXTRA) < 1:
        raise ResidentsError("missing_proof")
    await session.execute(
        update(ApplicationDocument)
        .where(
            ApplicationDocument.person_id == person_id,
            ApplicationDocument.application_id.is_(None),
            ApplicationDocument.kind == DocumentKind.EXTRA,
        )
        .values(application_id=application_id)
        .execution_options(synchronize_session=False)
    )
    application = await _decide(
        session,
        application_id,
        ApplicationStatus.SUBMITTED,
        from_statuses=(ApplicationStatus.MORE_INFO,),
        values={},
    )
    await record_audit(
        session,
        "movein.more_sent",
        community_id=application.community_id,
        actor_person_id=person_id,
        target_type="application",
        target_id=application.id,
    )
    return application


async def set_review_message(
    session: AsyncSession, application_id: int, chat_id: int, message_id: int
) -> None:
    await session.execute(
        update(MoveInApplication)
        .where(MoveInApplication.id == application_id)
        .values(admin_chat_id=chat_id, admin_message_id=message_id)
    )


async def withdraw_application(
    session: AsyncSession, application_id: int, person_id: int, *, clock: Clock
) -> MoveInApplication:
    application = await session.get(MoveInApplication, application_id)
    if application is None or application.person_id != person_id:
        raise ResidentsError("not_found")
    now = clock.now()
    application = await _decide(
        session,
        application_id,
        ApplicationStatus.WITHDRAWN,
        values={"decided_at": now, "documents_purge_after": now},
    )
    residency = await session.get(Residency, application.residency_id)
    assert residency is not None
    # The pending residency never gave access to anything: no hooks to run.
    residency.status = ResidencyStatus.ENDED
    residency.ended_at = now
    await session.flush()
    await record_audit(
        session,
        "movein.withdrawn",
        community_id=application.community_id,
        actor_person_id=person_id,
        target_type="application",
        target_id=application.id,
    )
    return application
