"""Enrollment, all or nothing: each accepted photo's template is written at once,
encrypted, as a ``pending`` row; finishing swaps the person's templates for the
pending ones in one transaction; abandoned rows are purged after
:data:`~access.faces.store.common.PENDING_TTL`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.crypto import encrypt_template
from access.faces.index import MAX_TEMPLATES_PER_PERSON
from access.faces.models import (
    FaceTemplate,
    TemplateStatus,
)
from access.faces.store.common import (
    PENDING_TTL,
    TEMPLATES,
    FaceError,
    bump_version,
    template_context,
)
from access.faces.store.consent import active_consent
from access.faces.store.household import check_actor
from access.faces.store.lookalike import LookalikePair, find_lookalikes
from core.audit import record_audit


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
    await check_actor(session, actor_person_id, person_id, community_id)
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
    #: Other people of the community this face is nearer to than the guard distance.
    lookalikes: list[LookalikePair]


async def finish_enrollment(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int,
    actor_person_id: int,
    enrollment: str,
    model: str,
    secret_key: str,
    guard: float,
    now: datetime,
) -> Enrolled:
    """Replace the person's templates with this enrollment's, in one transaction, and
    recompute the person's look-alike pairs (:mod:`~access.faces.store.lookalike`)."""
    await check_actor(session, actor_person_id, person_id, community_id)
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
        TEMPLATES.c.person_id == person_id,
        TEMPLATES.c.community_id == community_id,
        TEMPLATES.c.status == TemplateStatus.ACTIVE.value,
    )
    await session.execute(
        delete(TEMPLATES).where(or_(current, TEMPLATES.c.id.in_(extra)) if extra else current)
    )
    await session.execute(
        update(TEMPLATES)
        .where(TEMPLATES.c.id.in_(keep))
        .values(status=TemplateStatus.ACTIVE.value, enrollment=None, consent_id=consent.id)
    )
    lookalikes = await find_lookalikes(
        session,
        community_id=community_id,
        person_id=person_id,
        model=model,
        secret_key=secret_key,
        guard=guard,
        now=now,
    )
    version = await bump_version(session, community_id, now)
    await record_audit(
        session,
        "faces.enrolled",
        community_id=community_id,
        actor_person_id=actor_person_id,
        target_type="person",
        target_id=person_id,
        details={
            "templates": len(keep),
            "consent": consent.kind.value,
            "lookalikes": len(lookalikes),
        },
    )
    return Enrolled(len(keep), version, lookalikes)


async def discard_enrollment(session: AsyncSession, enrollment: str) -> int:
    """Drop the pending templates of an enrollment that will not be finished."""
    result = await session.execute(
        delete(TEMPLATES).where(
            TEMPLATES.c.enrollment == enrollment,
            TEMPLATES.c.status == TemplateStatus.PENDING.value,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_pending(session: AsyncSession, now: datetime) -> int:
    """Delete pending templates of enrollments abandoned for :data:`PENDING_TTL`."""
    result = await session.execute(
        delete(TEMPLATES).where(
            TEMPLATES.c.status == TemplateStatus.PENDING.value,
            TEMPLATES.c.created_at < now - PENDING_TTL,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
