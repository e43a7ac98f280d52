"""Face access in the database: consent, enrollment, deletion, counts, and the gate's reads.

Rules kept here, whoever calls (the chat, the CLI, a job):

- **Consent first.** A template is only ever written under an open consent of that
  person for that community. A person consents for themselves; an owner of a unit may
  consent as guardian for a child under 14 of the household, or confirm the consent of
  an adult household member who has no Telegram account. A household member *with* an
  account agrees in their own chat (:attr:`ConsentKind.MEMBER`).
- **Enrollment is all or nothing.** Each accepted photo's template is written at once,
  encrypted, as a ``pending`` row of that enrollment (a conversation may be answered by
  another process, so nothing waits in memory between messages); finishing swaps the
  person's templates for the pending ones in one transaction. Pending rows never reach
  the gate; abandoned ones are purged after :data:`PENDING_TTL`.
- **Deletion is immediate**: on request, when the residency ends, when the person's data
  is erased. It ends the consent too, so enrolling again asks again.
- Every change bumps the community's :class:`FaceIndexVersion` in the same transaction:
  that is how other processes learn that their in-memory index is stale.

Staff get counts (:func:`enrollment_counts`), never templates.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike
from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.crypto import encrypt_template
from access.faces.index import MAX_TEMPLATES_PER_PERSON
from access.faces.models import (
    ConsentKind,
    FaceConsent,
    FaceIndexVersion,
    FaceTemplate,
    TemplateStatus,
)
from core.audit import record_audit
from core.db import utcnow
from core.models import (
    Building,
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from core.privacy import export_time

#: Version of the consent text the chat shows. Bump it whenever the wording changes in
#: substance; each consent row also keeps the SHA-256 of the exact text shown.
CONSENT_TEXT_VERSION = "2026.1"
#: Children under this age are enrolled only with an owner's guardian consent.
GUARDIAN_AGE = 14
#: Pending templates of an abandoned enrollment are deleted after this long.
PENDING_TTL = timedelta(minutes=30)

_templates = cast(Table, FaceTemplate.__table__)
_versions = cast(Table, FaceIndexVersion.__table__)
_residencies = cast(Table, Residency.__table__)
_units = cast(Table, Unit.__table__)


class FaceError(Exception):
    """A face-access rule refused the request; ``code`` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def template_context(row_id: int, person_id: int, community_id: int) -> bytes:
    """Associated data of a template blob: the row, whose face, which community."""
    return f"face_templates:{row_id}:{person_id}:{community_id}".encode()


def text_digest(text: str) -> str:
    """SHA-256 of the consent text exactly as shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_enrollment_key() -> str:
    return secrets.token_hex(12)


# --- the change counter --------------------------------------------------------------------


async def bump_version(session: AsyncSession, community_id: int, now: datetime) -> int:
    """Count one change of the community's templates; returns the new version."""
    stmt = (
        update(_versions)
        .where(_versions.c.community_id == community_id)
        .values(version=_versions.c.version + 1, updated_at=now)
    )
    result = await session.execute(stmt)
    if getattr(result, "rowcount", 0) == 0:
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(_versions).values(community_id=community_id, version=1, updated_at=now)
                )
        except IntegrityError:
            # Another transaction created the row first: count on it.
            await session.execute(stmt)
    version = await session.scalar(
        select(_versions.c.version).where(_versions.c.community_id == community_id)
    )
    return int(version or 0)


# --- who may act for whom ------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdMember:
    person_id: int
    full_name: str
    has_telegram: bool
    unit_id: int
    unit_label: str
    templates: int


async def _active_residency_units(
    session: AsyncSession, person_id: int, community_id: int
) -> list[tuple[int, ResidencyRole]]:
    rows = await session.execute(
        select(Residency.unit_id, Residency.role)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(
            Residency.person_id == person_id,
            Residency.status == ResidencyStatus.ACTIVE,
            Unit.community_id == community_id,
        )
        .order_by(Residency.id)
    )
    return [(unit_id, role) for unit_id, role in rows.all()]


async def is_active_resident(session: AsyncSession, person_id: int, community_id: int) -> bool:
    return bool(await _active_residency_units(session, person_id, community_id))


async def household_members(
    session: AsyncSession, owner_person_id: int, community_id: int
) -> list[HouseholdMember]:
    """Family members living in the units this person owns in the community."""
    owned = [
        unit_id
        for unit_id, role in await _active_residency_units(session, owner_person_id, community_id)
        if role == ResidencyRole.OWNER
    ]
    if not owned:
        return []
    counts = (
        select(FaceTemplate.person_id, func.count(FaceTemplate.id).label("n"))
        .where(
            FaceTemplate.community_id == community_id,
            FaceTemplate.status == TemplateStatus.ACTIVE,
        )
        .group_by(FaceTemplate.person_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Person.id,
            Person.full_name,
            Person.telegram_id,
            Unit.id,
            Building.name,
            Unit.number,
            counts.c.n,
        )
        .join(Residency, Residency.person_id == Person.id)
        .join(Unit, Unit.id == Residency.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .outerjoin(counts, counts.c.person_id == Person.id)
        .where(
            Residency.unit_id.in_(owned),
            Residency.status == ResidencyStatus.ACTIVE,
            Residency.role == ResidencyRole.FAMILY,
            Person.id != owner_person_id,
        )
        .order_by(Unit.id, Person.id)
    )
    seen: set[int] = set()
    members: list[HouseholdMember] = []
    for pid, name, tg, unit_id, building, number, n in rows.all():
        if pid in seen:
            continue
        seen.add(pid)
        members.append(
            HouseholdMember(
                pid, name or "", tg is not None, unit_id, f"{building}-{number}", n or 0
            )
        )
    return members


async def household_unit(
    session: AsyncSession, owner_person_id: int, subject_person_id: int, community_id: int
) -> int:
    """The unit through which ``owner`` answers for ``subject``; refuses otherwise."""
    for member in await household_members(session, owner_person_id, community_id):
        if member.person_id == subject_person_id:
            return member.unit_id
    raise FaceError("not_household")


async def _check_actor(
    session: AsyncSession, actor_person_id: int, subject_person_id: int, community_id: int
) -> None:
    if actor_person_id == subject_person_id:
        if not await is_active_resident(session, subject_person_id, community_id):
            raise FaceError("not_resident")
        return
    await household_unit(session, actor_person_id, subject_person_id, community_id)


# --- consent -------------------------------------------------------------------------------


async def active_consent(
    session: AsyncSession, subject_person_id: int, community_id: int
) -> FaceConsent | None:
    return cast(
        FaceConsent | None,
        await session.scalar(
            select(FaceConsent)
            .where(
                FaceConsent.subject_person_id == subject_person_id,
                FaceConsent.community_id == community_id,
                FaceConsent.ended_at.is_(None),
            )
            .order_by(FaceConsent.id.desc())
            .limit(1)
        ),
    )


async def record_consent(
    session: AsyncSession,
    *,
    community_id: int,
    subject_person_id: int,
    given_by_person_id: int,
    kind: ConsentKind,
    text_sha256: str,
    locale: str,
    now: datetime,
    minor: bool = False,
    requested_by_person_id: int | None = None,
    text_version: str = CONSENT_TEXT_VERSION,
) -> FaceConsent:
    """Record a consent exactly as given (see the module doc for who may give which).

    ``text_sha256`` is :func:`text_digest` of the text the person read, as shown.
    """
    unit_id: int | None = None
    if kind in (ConsentKind.SELF, ConsentKind.MEMBER):
        if given_by_person_id != subject_person_id or minor:
            raise FaceError("bad_consent")
        units = await _active_residency_units(session, subject_person_id, community_id)
        if not units:
            raise FaceError("not_resident")
        unit_id = units[0][0]
        if kind == ConsentKind.MEMBER:
            if requested_by_person_id is None:
                raise FaceError("bad_consent")
            unit_id = await household_unit(
                session, requested_by_person_id, subject_person_id, community_id
            )
    else:
        if given_by_person_id == subject_person_id:
            raise FaceError("bad_consent")
        if kind == ConsentKind.GUARDIAN and not minor:
            raise FaceError("bad_consent")
        if kind == ConsentKind.HOUSEHOLD:
            if minor:
                raise FaceError("bad_consent")
            subject = await session.get(Person, subject_person_id)
            if subject is None:
                raise FaceError("not_household")
            if subject.telegram_id is not None:
                # They can be asked themselves, so they must be.
                raise FaceError("member_has_telegram")
        unit_id = await household_unit(session, given_by_person_id, subject_person_id, community_id)
        requested_by_person_id = given_by_person_id
    previous = await active_consent(session, subject_person_id, community_id)
    consent = FaceConsent(
        community_id=community_id,
        subject_person_id=subject_person_id,
        given_by_person_id=given_by_person_id,
        requested_by_person_id=requested_by_person_id,
        unit_id=unit_id,
        kind=kind,
        minor=minor,
        text_version=text_version,
        text_sha256=text_sha256,
        locale=locale,
        given_at=now,
    )
    session.add(consent)
    await session.flush()
    if previous is not None:
        previous.ended_at = now
        previous.end_reason = "superseded"
        # The person's current templates now stand on the new consent.
        await session.execute(
            update(_templates)
            .where(_templates.c.consent_id == previous.id)
            .values(consent_id=consent.id)
        )
    await record_audit(
        session,
        "faces.consent",
        community_id=community_id,
        actor_person_id=given_by_person_id,
        target_type="person",
        target_id=subject_person_id,
        details={"kind": kind.value, "minor": minor, "text_version": text_version},
    )
    return consent


# --- enrollment ----------------------------------------------------------------------------


async def _pending_count(session: AsyncSession, enrollment: str) -> int:
    return int(
        await session.scalar(
            select(func.count(FaceTemplate.id)).where(
                FaceTemplate.enrollment == enrollment,
                FaceTemplate.status == TemplateStatus.PENDING,
            )
        )
        or 0
    )


async def add_pending_template(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int,
    actor_person_id: int,
    enrollment: str,
    template: ArrayLike,
    model: str,
    secret_key: str,
    now: datetime,
) -> int:
    """Store one accepted photo's template (encrypted, pending); returns how many so far."""
    await _check_actor(session, actor_person_id, person_id, community_id)
    consent = await active_consent(session, person_id, community_id)
    if consent is None:
        raise FaceError("no_consent")
    if await _pending_count(session, enrollment) >= MAX_TEMPLATES_PER_PERSON:
        raise FaceError("too_many")
    row = FaceTemplate(
        community_id=community_id,
        person_id=person_id,
        consent_id=consent.id,
        status=TemplateStatus.PENDING,
        enrollment=enrollment,
        model=model,
        blob=b"",
        enrolled_by_person_id=actor_person_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()  # the row id is part of the blob's authenticated context
    row.blob = encrypt_template(
        np.asarray(template, dtype=np.float32),
        secret_key,
        context=template_context(row.id, person_id, community_id),
    )
    await session.flush()
    return await _pending_count(session, enrollment)


@dataclass(frozen=True)
class Enrolled:
    templates: int
    version: int


async def finish_enrollment(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int,
    actor_person_id: int,
    enrollment: str,
    now: datetime,
) -> Enrolled:
    """Replace the person's templates with this enrollment's, in one transaction."""
    await _check_actor(session, actor_person_id, person_id, community_id)
    consent = await active_consent(session, person_id, community_id)
    if consent is None:
        await discard_enrollment(session, enrollment)
        raise FaceError("no_consent")
    pending = list(
        (
            await session.scalars(
                select(FaceTemplate.id)
                .where(
                    FaceTemplate.enrollment == enrollment,
                    FaceTemplate.person_id == person_id,
                    FaceTemplate.community_id == community_id,
                    FaceTemplate.status == TemplateStatus.PENDING,
                )
                .order_by(FaceTemplate.id)
            )
        ).all()
    )
    if not pending:
        raise FaceError("no_templates")
    # Photos sent all at once may race past the per-photo limit: keep the first three.
    keep, extra = pending[:MAX_TEMPLATES_PER_PERSON], pending[MAX_TEMPLATES_PER_PERSON:]
    current = and_(
        _templates.c.person_id == person_id,
        _templates.c.community_id == community_id,
        _templates.c.status == TemplateStatus.ACTIVE.value,
    )
    await session.execute(
        delete(_templates).where(or_(current, _templates.c.id.in_(extra)) if extra else current)
    )
    await session.execute(
        update(_templates)
        .where(_templates.c.id.in_(keep))
        .values(status=TemplateStatus.ACTIVE.value, enrollment=None, consent_id=consent.id)
    )
    version = await bump_version(session, community_id, now)
    await record_audit(
        session,
        "faces.enrolled",
        community_id=community_id,
        actor_person_id=actor_person_id,
        target_type="person",
        target_id=person_id,
        details={"templates": len(keep), "consent": consent.kind.value},
    )
    return Enrolled(len(keep), version)


async def discard_enrollment(session: AsyncSession, enrollment: str) -> int:
    """Drop the pending templates of an enrollment that will not be finished."""
    result = await session.execute(
        delete(_templates).where(
            _templates.c.enrollment == enrollment,
            _templates.c.status == TemplateStatus.PENDING.value,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_pending(session: AsyncSession, now: datetime) -> int:
    """Delete pending templates of enrollments abandoned for :data:`PENDING_TTL`."""
    result = await session.execute(
        delete(_templates).where(
            _templates.c.status == TemplateStatus.PENDING.value,
            _templates.c.created_at < now - PENDING_TTL,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- deletion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deleted:
    templates: int
    communities: list[int]


async def _delete(
    session: AsyncSession,
    person_id: int,
    community_ids: Sequence[int] | None,
    *,
    reason: str,
    now: datetime,
) -> Deleted:
    where = [_templates.c.person_id == person_id]
    consent_where = [FaceConsent.subject_person_id == person_id, FaceConsent.ended_at.is_(None)]
    if community_ids is not None:
        where.append(_templates.c.community_id.in_(community_ids))
        consent_where.append(FaceConsent.community_id.in_(community_ids))
    touched = sorted(
        set(
            (
                await session.scalars(
                    select(_templates.c.community_id)
                    .where(*where, _templates.c.status == TemplateStatus.ACTIVE.value)
                    .distinct()
                )
            ).all()
        )
    )
    result = await session.execute(delete(_templates).where(*where))
    await session.execute(
        update(FaceConsent).where(*consent_where).values(ended_at=now, end_reason=reason)
    )
    for community_id in touched:
        await bump_version(session, community_id, now)
    return Deleted(int(getattr(result, "rowcount", 0) or 0), touched)


async def delete_face_data(
    session: AsyncSession,
    *,
    person_id: int,
    community_id: int,
    actor_person_id: int,
    now: datetime,
) -> Deleted:
    """The person (or their household's owner) deletes their face data: at once."""
    if actor_person_id != person_id:
        await household_unit(session, actor_person_id, person_id, community_id)
    deleted = await _delete(session, person_id, [community_id], reason="deleted", now=now)
    await record_audit(
        session,
        "faces.deleted",
        community_id=community_id,
        actor_person_id=actor_person_id,
        target_type="person",
        target_id=person_id,
        details={"templates": deleted.templates},
    )
    return deleted


async def on_residency_ended_delete(session: AsyncSession, residency: Residency) -> None:
    """Move-out: delete the person's templates of that community, unless they still live
    in another unit there (runs in the transaction that ends the residency)."""
    community_id = await session.scalar(
        select(Unit.community_id).where(Unit.id == residency.unit_id)
    )
    if community_id is None:
        return
    still_there = await session.scalar(
        select(Residency.id)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(
            Residency.person_id == residency.person_id,
            Residency.id != residency.id,
            Residency.status == ResidencyStatus.ACTIVE,
            Unit.community_id == community_id,
        )
        .limit(1)
    )
    if still_there is not None:
        return
    deleted = await _delete(
        session, residency.person_id, [community_id], reason="moved_out", now=utcnow()
    )
    if deleted.templates:
        await record_audit(
            session,
            "faces.deleted",
            community_id=community_id,
            target_type="person",
            target_id=residency.person_id,
            details={"templates": deleted.templates, "reason": "moved_out"},
        )


async def on_person_erased_delete(session: AsyncSession, person_id: int) -> None:
    """Erasure of a person's data: every template of theirs, in every community."""
    await _delete(session, person_id, None, reason="erased", now=utcnow())


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceStatus:
    templates: int
    enrolled_at: datetime | None
    consent: FaceConsent | None


async def face_status(session: AsyncSession, person_id: int, community_id: int) -> FaceStatus:
    count, first = (
        await session.execute(
            select(func.count(FaceTemplate.id), func.min(FaceTemplate.created_at)).where(
                FaceTemplate.person_id == person_id,
                FaceTemplate.community_id == community_id,
                FaceTemplate.status == TemplateStatus.ACTIVE,
            )
        )
    ).one()
    consent = await active_consent(session, person_id, community_id)
    return FaceStatus(int(count or 0), first, consent)


@dataclass(frozen=True)
class EnrollmentCounts:
    """What staff may see: how many, never whose templates."""

    enrolled: int  # active residents with at least one template
    residents: int  # active residents


def _active_resident_ids(community_id: int) -> Any:
    return (
        select(_residencies.c.person_id)
        .join(_units, _units.c.id == _residencies.c.unit_id)
        .where(
            _units.c.community_id == community_id,
            _residencies.c.status == ResidencyStatus.ACTIVE.value,
        )
    )


async def enrollment_counts(
    session: AsyncSession, community_id: int, model: str | None = None
) -> EnrollmentCounts:
    residents = _active_resident_ids(community_id)
    where = [
        _templates.c.community_id == community_id,
        _templates.c.status == TemplateStatus.ACTIVE.value,
        _templates.c.person_id.in_(residents),
    ]
    if model is not None:
        where.append(_templates.c.model == model)
    enrolled = await session.scalar(
        select(func.count(func.distinct(_templates.c.person_id))).where(*where)
    )
    total = await session.scalar(
        select(func.count(func.distinct(_residencies.c.person_id)))
        .join(_units, _units.c.id == _residencies.c.unit_id)
        .where(
            _units.c.community_id == community_id,
            _residencies.c.status == ResidencyStatus.ACTIVE.value,
        )
    )
    return EnrollmentCounts(int(enrolled or 0), int(total or 0))


# --- the gate's reads (synchronous, on the access runner's connection) ------------------------


@dataclass(frozen=True)
class StoredTemplate:
    row_id: int
    person_id: int
    community_id: int
    blob: bytes


def versions_tx(conn: Connection, community_ids: Sequence[int]) -> dict[int, int]:
    """The change counters of these communities (0 when never changed)."""
    if not community_ids:
        return {}
    rows = conn.execute(
        select(_versions.c.community_id, _versions.c.version).where(
            _versions.c.community_id.in_(list(community_ids))
        )
    ).all()
    found = {int(c): int(v) for c, v in rows}
    return {c: found.get(c, 0) for c in community_ids}


def templates_tx(
    conn: Connection, community_id: int, model: str
) -> tuple[int, list[StoredTemplate]]:
    """The counter and the active templates of the community's active residents, read in
    one transaction so the index built from them matches that version exactly."""
    version = versions_tx(conn, [community_id])[community_id]
    rows = conn.execute(
        select(_templates.c.id, _templates.c.person_id, _templates.c.blob)
        .where(
            _templates.c.community_id == community_id,
            _templates.c.status == TemplateStatus.ACTIVE.value,
            _templates.c.model == model,
            _templates.c.person_id.in_(_active_resident_ids(community_id)),
        )
        .order_by(_templates.c.person_id, _templates.c.id)
    ).all()
    return version, [StoredTemplate(int(i), int(p), community_id, bytes(b)) for i, p, b in rows]


def communities_with_templates_tx(conn: Connection, model: str) -> list[int]:
    return [
        int(c)
        for c in conn.execute(
            select(_templates.c.community_id)
            .where(_templates.c.status == TemplateStatus.ACTIVE.value, _templates.c.model == model)
            .distinct()
        ).scalars()
    ]


def is_enrolled_tx(conn: Connection, person_id: int, community_id: int) -> bool:
    """Inside a gate decision: does this person still have an active template here?"""
    return (
        conn.execute(
            select(_templates.c.id)
            .where(
                _templates.c.person_id == person_id,
                _templates.c.community_id == community_id,
                _templates.c.status == TemplateStatus.ACTIVE.value,
            )
            .limit(1)
        ).first()
        is not None
    )


async def personal_face_data(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """The person's face data for their /privacy export.

    Every consent given for them (by themselves or by an owner of their home) or by
    them for someone else, and what is enrolled per community: how many templates,
    of which model, since when. The templates themselves are not included: they
    are encrypted numbers only the gate can use, and the export travels through
    Telegram; "delete my face data" removes them at once.
    """
    consents = (
        await session.execute(
            select(FaceConsent, Community.name)
            .join(Community, Community.id == FaceConsent.community_id)
            .where(
                or_(
                    FaceConsent.subject_person_id == person_id,
                    FaceConsent.given_by_person_id == person_id,
                )
            )
            .order_by(FaceConsent.id)
        )
    ).all()
    templates = (
        await session.execute(
            select(
                Community.name,
                FaceTemplate.model,
                func.count(FaceTemplate.id),
                func.min(FaceTemplate.created_at),
            )
            .join(Community, Community.id == FaceTemplate.community_id)
            .where(
                FaceTemplate.person_id == person_id,
                FaceTemplate.status == TemplateStatus.ACTIVE,
            )
            .group_by(Community.name, FaceTemplate.model)
            .order_by(Community.name)
        )
    ).all()

    return {
        "consents": [
            {
                "community": community,
                "about": "me" if c.subject_person_id == person_id else "a household member",
                "given_by": "me" if c.given_by_person_id == person_id else "an owner of my home",
                "kind": c.kind.value,
                "minor": c.minor,
                "text_version": c.text_version,
                "text_sha256": c.text_sha256,
                "language": c.locale,
                "given_at": export_time(c.given_at),
                "ended_at": export_time(c.ended_at),
                "end_reason": c.end_reason,
            }
            for c, community in consents
        ],
        "enrolled": [
            {
                "community": community,
                "templates": count,
                "model": model,
                "since": export_time(cast(datetime | None, since)),
            }
            for community, model, count, since in templates
        ],
    }
