"""Residents: move-in applications and their review, residencies, family members,
key hand-over, document purge, and a person's own data (see, export, erase).

Public API other areas rely on:

- :func:`end_residency` ``(session, residency_id, *, clock, reason, actor_person_id=None,
  actor_telegram_id=None) -> Residency`` — ends an ACTIVE residency (move-out,
  tenancy over, removal by staff, data erasure). It runs every hook registered
  with ``core.lifecycle.on_residency_ended`` in the caller's transaction, so
  passes, face templates, invitations… are revoked together with the residency
  or not at all. Calling it on an ENDED residency is a no-op.
- :func:`on_person_erased` — register ``async def hook(session, person_id)``
  to delete an area's personal data when a person erases theirs (``/privacy``);
  :func:`on_personal_export` — register the area's section of the export.

Applications: :func:`submit_application` writes the whole application in one
transaction (a PENDING residency, the application, its documents, the accepted
agreements); :func:`approve_application`, :func:`reject_application` and
:func:`request_more_documents` decide it with a conditional update, so two staff
pressing at once cannot both decide. Proof documents are Telegram file
references only and are purged ``document_retention_days`` (community config,
default 30) after the decision by :func:`purge_documents`.

Services raise :class:`ResidentsError` with a ``code``; they never format text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import invitations as _invitations  # noqa: F401  (registers its end hook)
from core.agreements import Acceptance, record_acceptances
from core.audit import record_audit
from core.clock import Clock
from core.lifecycle import run_residency_end_hooks
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
    OPEN_APPLICATION_STATUSES,
    AgreementAcceptance,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    HandoverDirection,
    HandoverItem,
    KeyHandover,
    MoveInApplication,
)

DEFAULT_RETENTION_DAYS = 30
MAX_DOCUMENTS_PER_KIND = 10
# Draft uploads of a conversation nobody finished are dropped after this.
DRAFT_LIFETIME = timedelta(days=2)


class ResidentsError(Exception):
    """``code``: unit_not_found, already_member, already_applied, end_date_required,
    missing_id, missing_proof, too_many_documents, not_open, not_found, not_active,
    not_owner, is_staff, bad_name."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# --- small helpers -------------------------------------------------------------------


def community_today(community: Community, clock: Clock) -> date:
    """Today's date where the community is (a lease ends on a local date)."""
    return clock.now().astimezone(ZoneInfo(community.timezone)).date()


def retention_days(community: Community) -> int:
    value = community.config.get("document_retention_days", DEFAULT_RETENTION_DAYS)
    return value if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_DAYS


# --- choosing a home (paginated: a community may have 200 buildings) -------------------


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


async def communities_page(
    session: AsyncSession, offset: int, limit: int
) -> tuple[list[Choice], int]:
    """Communities that have units, by name."""
    has_units = select(Unit.community_id).distinct()
    base = select(Community.id, Community.name).where(Community.id.in_(has_units))
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (await session.execute(base.order_by(Community.name).offset(offset).limit(limit))).all()
    return [Choice(i, n) for i, n in rows], int(total)


async def buildings_page(
    session: AsyncSession, community_id: int, offset: int, limit: int
) -> tuple[list[Choice], int]:
    base = select(Building.id, Building.name).where(Building.community_id == community_id)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (
        await session.execute(base.order_by(*_natural(Building.name)).offset(offset).limit(limit))
    ).all()
    return [Choice(i, n) for i, n in rows], int(total)


def _natural(column: Any) -> tuple[Any, Any]:
    # Shorter names first, so "2栋" sorts before "10栋" without a collation.
    return (func.length(column), column)


async def floors_of_building(session: AsyncSession, building_id: int) -> list[int | None]:
    rows = await session.scalars(
        select(Unit.floor).where(Unit.building_id == building_id).distinct()
    )
    floors = list(rows.all())
    return sorted(floors, key=lambda f: (f is None, f if f is not None else 0))


async def count_units_in_building(session: AsyncSession, building_id: int) -> int:
    return int(
        await session.scalar(select(func.count(Unit.id)).where(Unit.building_id == building_id))
        or 0
    )


async def units_page(
    session: AsyncSession,
    building_id: int,
    offset: int,
    limit: int,
    *,
    floor: int | None = None,
    by_floor: bool = False,
) -> tuple[list[Choice], int]:
    base = select(Unit.id, Unit.number).where(Unit.building_id == building_id)
    if by_floor:
        base = base.where(Unit.floor.is_(None) if floor is None else Unit.floor == floor)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = (
        await session.execute(
            base.order_by(Unit.floor, func.length(Unit.number), Unit.number)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return [Choice(i, n) for i, n in rows], int(total)


async def load_unit(session: AsyncSession, unit_id: int) -> Unit:
    unit = await session.scalar(
        select(Unit).where(Unit.id == unit_id).options(selectinload(Unit.building))
    )
    if unit is None:
        raise ResidentsError("unit_not_found")
    return unit


async def find_unit_by_label(session: AsyncSession, community_id: int, text: str) -> Unit | None:
    """``3栋-1201`` / ``3栋 1201``: building and unit number as residents write them."""
    text = text.strip()
    candidates: list[tuple[str, str]] = []
    for sep in ("-", " ", "/"):
        idx = text.rfind(sep)
        while idx > 0:
            candidates.append((text[:idx].strip(), text[idx + 1 :].strip()))
            idx = text.rfind(sep, 0, idx)
    for building, number in candidates:
        unit = await session.scalar(
            select(Unit)
            .join(Building, Building.id == Unit.building_id)
            .where(
                Unit.community_id == community_id,
                Building.name == building,
                Unit.number == number,
            )
            .options(selectinload(Unit.building))
        )
        if unit is not None:
            return unit
    return None


async def _membership_in_unit(
    session: AsyncSession, person_id: int, unit_id: int
) -> Residency | None:
    return await session.scalar(
        select(Residency).where(
            Residency.person_id == person_id,
            Residency.unit_id == unit_id,
            Residency.status.in_([ResidencyStatus.ACTIVE, ResidencyStatus.PENDING]),
        )
    )


async def check_can_apply(session: AsyncSession, person_id: int, unit_id: int) -> None:
    existing = await _membership_in_unit(session, person_id, unit_id)
    if existing is not None:
        raise ResidentsError(
            "already_member" if existing.status == ResidencyStatus.ACTIVE else "already_applied"
        )


# --- draft uploads -------------------------------------------------------------------


async def add_draft_document(
    session: AsyncSession,
    person_id: int,
    kind: DocumentKind,
    *,
    media: str,
    file_id: str,
    file_unique_id: str,
    mime_type: str | None,
    media_group_id: str | None,
    clock: Clock,
) -> int:
    """Keep one uploaded file reference; return how many of this kind there are."""
    count = await _draft_count(session, person_id, kind)
    if count >= MAX_DOCUMENTS_PER_KIND:
        raise ResidentsError("too_many_documents")
    session.add(
        ApplicationDocument(
            person_id=person_id,
            application_id=None,
            kind=kind,
            media=media,
            file_id=file_id,
            file_unique_id=file_unique_id,
            mime_type=mime_type,
            media_group_id=media_group_id,
            created_at=clock.now(),
        )
    )
    await session.flush()
    return count + 1


async def _draft_count(session: AsyncSession, person_id: int, kind: DocumentKind | None) -> int:
    query = select(func.count(ApplicationDocument.id)).where(
        ApplicationDocument.person_id == person_id,
        ApplicationDocument.application_id.is_(None),
    )
    if kind is not None:
        query = query.where(ApplicationDocument.kind == kind)
    return int(await session.scalar(query) or 0)


async def draft_counts(session: AsyncSession, person_id: int) -> dict[DocumentKind, int]:
    return {k: await _draft_count(session, person_id, k) for k in DocumentKind}


async def clear_drafts(
    session: AsyncSession, person_id: int, kind: DocumentKind | None = None
) -> None:
    stmt = delete(ApplicationDocument).where(
        ApplicationDocument.person_id == person_id,
        ApplicationDocument.application_id.is_(None),
    )
    if kind is not None:
        stmt = stmt.where(ApplicationDocument.kind == kind)
    await session.execute(stmt)


# --- applications --------------------------------------------------------------------


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
    await record_acceptances(
        session,
        person_id=person_id,
        community_id=community.id,
        residency_id=residency.id,
        acceptances=acceptances,
    )
    person = await session.get(Person, person_id)
    assert person is not None
    person.full_name = full_name
    person.phone = phone
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
    if await _draft_count(session, person_id, DocumentKind.EXTRA) < 1:
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


# --- residencies ---------------------------------------------------------------------


async def end_residency(
    session: AsyncSession,
    residency_id: int,
    *,
    clock: Clock,
    reason: str,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Residency:
    """End an ACTIVE residency and revoke everything held through it (see module doc)."""
    residency = await session.get(Residency, residency_id, populate_existing=True)
    if residency is None:
        raise ResidentsError("not_found")
    if residency.status == ResidencyStatus.ENDED:
        return residency
    if residency.status != ResidencyStatus.ACTIVE:
        raise ResidentsError("not_active")
    unit = await load_unit(session, residency.unit_id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    now = clock.now()
    today = community_today(community, clock)
    residency.status = ResidencyStatus.ENDED
    residency.ended_at = now
    if residency.end_date is None or residency.end_date > today:
        residency.end_date = today
    await session.flush()
    await run_residency_end_hooks(session, residency)
    await record_audit(
        session,
        "residency.ended",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="residency",
        target_id=residency.id,
        details={"reason": reason, "person_id": residency.person_id, "unit_id": unit.id},
    )
    return residency


async def end_expired_tenancies(session: AsyncSession, clock: Clock) -> list[int]:
    """End tenancies whose lease end date has passed (in their community's zone)."""
    rows = (
        await session.execute(
            select(Residency.id, Community)
            .join(Unit, Unit.id == Residency.unit_id)
            .join(Community, Community.id == Unit.community_id)
            .where(
                Residency.status == ResidencyStatus.ACTIVE,
                Residency.end_date.is_not(None),
                Residency.end_date < clock.now().date() + timedelta(days=1),
            )
        )
    ).all()
    ended: list[int] = []
    for residency_id, community in rows:
        residency = await session.get(Residency, residency_id)
        assert residency is not None and residency.end_date is not None
        if residency.end_date < community_today(community, clock):
            await end_residency(session, residency_id, clock=clock, reason="lease_ended")
            ended.append(residency_id)
    return ended


@dataclass(frozen=True)
class ResidentView:
    residency_id: int
    person_id: int
    telegram_id: int | None
    full_name: str
    phone: str | None
    role: ResidencyRole
    start_date: date | None
    end_date: date | None


async def unit_residents(session: AsyncSession, unit_id: int) -> list[ResidentView]:
    rows = (
        await session.execute(
            select(Residency, Person)
            .join(Person, Person.id == Residency.person_id)
            .where(Residency.unit_id == unit_id, Residency.status == ResidencyStatus.ACTIVE)
            .order_by(Residency.role, Residency.id)
        )
    ).all()
    return [
        ResidentView(
            r.id, p.id, p.telegram_id, p.full_name, p.phone, r.role, r.start_date, r.end_date
        )
        for r, p in rows
    ]


async def owner_residency(session: AsyncSession, person_id: int, unit_id: int) -> Residency:
    residency = await session.scalar(
        select(Residency).where(
            Residency.person_id == person_id,
            Residency.unit_id == unit_id,
            Residency.status == ResidencyStatus.ACTIVE,
            Residency.role == ResidencyRole.OWNER,
        )
    )
    if residency is None:
        raise ResidentsError("not_owner")
    return residency


async def add_family_member(
    session: AsyncSession,
    owner_person_id: int,
    unit_id: int,
    full_name: str,
    *,
    clock: Clock,
) -> Residency:
    """An owner adds a family member who has no Telegram account (a child, an
    elderly parent). No staff review: the owner answers for their household."""
    owner = await owner_residency(session, owner_person_id, unit_id)
    full_name = " ".join(full_name.split())
    if not 1 <= len(full_name) <= 60:
        raise ResidentsError("bad_name")
    unit = await load_unit(session, unit_id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    now = clock.now()
    person = Person(telegram_id=None, full_name=full_name)
    session.add(person)
    await session.flush()
    residency = Residency(
        person_id=person.id,
        unit_id=unit_id,
        role=ResidencyRole.FAMILY,
        status=ResidencyStatus.ACTIVE,
        start_date=community_today(community, clock),
        created_at=now,
        decided_at=now,
        decided_by_person_id=owner.person_id,
    )
    session.add(residency)
    await session.flush()
    await record_audit(
        session,
        "residency.family_added",
        community_id=community.id,
        actor_person_id=owner_person_id,
        target_type="residency",
        target_id=residency.id,
        details={"unit_id": unit_id, "without_telegram": True},
    )
    return residency


async def remove_family_member(
    session: AsyncSession, owner_person_id: int, residency_id: int, *, clock: Clock
) -> Residency:
    """An owner removes a family member of their unit (not another owner or tenant)."""
    residency = await session.get(Residency, residency_id)
    if residency is None or residency.role != ResidencyRole.FAMILY:
        raise ResidentsError("not_found")
    await owner_residency(session, owner_person_id, residency.unit_id)
    return await end_residency(
        session,
        residency_id,
        clock=clock,
        reason="removed_by_owner",
        actor_person_id=owner_person_id,
    )


# --- key and access-card hand-over -----------------------------------------------------


async def record_handover(
    session: AsyncSession,
    residency_id: int,
    item: HandoverItem,
    direction: HandoverDirection,
    *,
    by_person_id: int,
    by_telegram_id: int | None,
    clock: Clock,
) -> KeyHandover | None:
    """Log one hand-over; None when that item was already logged that way."""
    residency = await session.get(Residency, residency_id)
    if residency is None:
        raise ResidentsError("not_found")
    unit = await session.get(Unit, residency.unit_id)
    assert unit is not None
    last = await session.scalar(
        select(KeyHandover)
        .where(KeyHandover.residency_id == residency_id, KeyHandover.item == item)
        .order_by(KeyHandover.id.desc())
        .limit(1)
    )
    if last is not None and last.direction == direction:
        return None
    if last is None and direction == HandoverDirection.RETURNED:
        # Returning something we never logged as issued is still worth recording.
        pass
    entry = KeyHandover(
        community_id=unit.community_id,
        residency_id=residency_id,
        item=item,
        direction=direction,
        at=clock.now(),
        by_person_id=by_person_id,
    )
    session.add(entry)
    await session.flush()
    await record_audit(
        session,
        f"handover.{direction.value}",
        community_id=unit.community_id,
        actor_person_id=by_person_id,
        actor_telegram_id=by_telegram_id,
        target_type="residency",
        target_id=residency_id,
        details={"item": item.value},
    )
    return entry


async def handover_log(session: AsyncSession, residency_id: int) -> dict[HandoverItem, KeyHandover]:
    """The latest entry per item."""
    rows = (
        await session.scalars(
            select(KeyHandover)
            .where(KeyHandover.residency_id == residency_id)
            .order_by(KeyHandover.id)
        )
    ).all()
    latest: dict[HandoverItem, KeyHandover] = {}
    for row in rows:
        latest[row.item] = row
    return latest


# --- housekeeping ----------------------------------------------------------------------


async def purge_documents(session: AsyncSession, clock: Clock) -> int:
    """Delete proof-document references whose retention has passed; return how many."""
    now = clock.now()
    due = (
        await session.scalars(
            select(MoveInApplication.id).where(
                MoveInApplication.documents_purge_after.is_not(None),
                MoveInApplication.documents_purge_after <= now,
                MoveInApplication.documents_purged_at.is_(None),
            )
        )
    ).all()
    removed = 0
    for start in range(0, len(due), 500):
        ids = list(due[start : start + 500])
        result = await session.execute(
            delete(ApplicationDocument).where(ApplicationDocument.application_id.in_(ids))
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
        await session.execute(
            update(MoveInApplication)
            .where(MoveInApplication.id.in_(ids))
            .values(documents_purged_at=now)
        )
    stale = await session.execute(
        delete(ApplicationDocument).where(
            ApplicationDocument.application_id.is_(None),
            ApplicationDocument.created_at < now - DRAFT_LIFETIME,
        )
    )
    removed += int(getattr(stale, "rowcount", 0) or 0)
    return removed


# --- a person's own data ---------------------------------------------------------------

PersonErasedHook = Callable[[AsyncSession, int], Awaitable[None]]
_erase_hooks: dict[str, PersonErasedHook] = {}


PersonExportHook = Callable[[AsyncSession, int], Awaitable[Any]]
_export_hooks: dict[str, PersonExportHook] = {}


def on_personal_export(name: str) -> Callable[[PersonExportHook], PersonExportHook]:
    """Decorator: ``@on_personal_export("faces")`` adds an area's section (any JSON
    value) under ``name`` to the export a person downloads with /privacy — every area
    that keeps personal data registers one, beside its :func:`on_person_erased` hook."""

    def register(func: PersonExportHook) -> PersonExportHook:
        _export_hooks[name] = func
        return func

    return register


def export_time(value: datetime | None) -> str | None:
    """A time in an export section: ISO 8601, UTC (as every area's section shows it)."""
    return value.isoformat() if value is not None else None


async def personal_export(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """The complete machine-readable export: this module's part and every area's."""
    export = personal_data_json(await personal_data(session, person_id))
    for name, hook in sorted(_export_hooks.items()):
        export[name] = await hook(session, person_id)
    return export


def on_person_erased(name: str) -> Callable[[PersonErasedHook], PersonErasedHook]:
    """Decorator: ``@on_person_erased("tickets")`` deletes an area's personal data
    of ``person_id`` in the same transaction as the erasure."""

    def register(func: PersonErasedHook) -> PersonErasedHook:
        _erase_hooks[name] = func
        return func

    return register


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
    )


def personal_data_json(data: PersonalData) -> dict[str, Any]:
    """The export a person downloads with /privacy (machine-readable, complete)."""
    return {
        "person": {
            "telegram_id": data.telegram_id,
            "full_name": data.full_name,
            "phone": data.phone,
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
            select(Residency.id).where(
                Residency.person_id == person_id, Residency.status == ResidencyStatus.ACTIVE
            )
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
    for hook in list(_erase_hooks.values()):
        await hook(session, person_id)
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
