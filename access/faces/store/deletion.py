"""Deletion is immediate: on request, when the residency ends, when the person's data
is erased. It ends the consent too, so enrolling again asks again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import (
    FaceConsent,
    TemplateStatus,
)
from access.faces.store.common import (
    TEMPLATES,
    bump_version,
)
from access.faces.store.household import household_unit
from access.faces.store.lookalike import clear_lookalikes
from core.audit import record_audit
from core.db import utcnow
from core.models import (
    Residency,
    Unit,
)
from core.residency import active_residency_clause


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
    where = [TEMPLATES.c.person_id == person_id]
    consent_where = [FaceConsent.subject_person_id == person_id, FaceConsent.ended_at.is_(None)]
    if community_ids is not None:
        where.append(TEMPLATES.c.community_id.in_(community_ids))
        consent_where.append(FaceConsent.community_id.in_(community_ids))
    touched = sorted(
        set(
            (
                await session.scalars(
                    select(TEMPLATES.c.community_id)
                    .where(*where, TEMPLATES.c.status == TemplateStatus.ACTIVE.value)
                    .distinct()
                )
            ).all()
        )
    )
    result = await session.execute(delete(TEMPLATES).where(*where))
    # No face, no look-alike: the other person of each pair gets face-only access back.
    await clear_lookalikes(
        session, person_id, None if community_ids is None else list(community_ids)
    )
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
            active_residency_clause(person_id=residency.person_id),
            Residency.id != residency.id,
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
