"""Consent first: a template is only ever written under an open consent of that person
for that community (see the package doc for who may give which kind)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import (
    ConsentKind,
    FaceConsent,
)
from access.faces.store.common import (
    CONSENT_TEXT_VERSION,
    TEMPLATES,
    FaceError,
)
from access.faces.store.household import active_residency_units, household_unit
from core.audit import record_audit
from core.models import (
    Person,
)


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
        units = await active_residency_units(session, subject_person_id, community_id)
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
            update(TEMPLATES)
            .where(TEMPLATES.c.consent_id == previous.id)
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
