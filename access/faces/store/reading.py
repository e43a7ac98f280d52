"""Reading face data: a person's status, the counts staff may see (how many, never
whose), and the gate's synchronous reads on the access runner's connection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import (
    FaceConsent,
    FaceLookalike,
    FaceTemplate,
    TemplateStatus,
)
from access.faces.store.common import (
    RESIDENCIES,
    TEMPLATES,
    UNITS,
    VERSIONS,
)
from access.faces.store.consent import active_consent
from core.residency import active_residency_clause

LOOKALIKES = cast(Table, FaceLookalike.__table__)


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
    lookalike_pairs: int = 0  # pairs of people face alone does not tell apart


def _active_resident_ids(community_id: int) -> Any:
    return (
        select(RESIDENCIES.c.person_id)
        .join(UNITS, UNITS.c.id == RESIDENCIES.c.unit_id)
        .where(
            UNITS.c.community_id == community_id, active_residency_clause(residency=RESIDENCIES.c)
        )
    )


async def enrollment_counts(
    session: AsyncSession, community_id: int, model: str | None = None
) -> EnrollmentCounts:
    residents = _active_resident_ids(community_id)
    where = [
        TEMPLATES.c.community_id == community_id,
        TEMPLATES.c.status == TemplateStatus.ACTIVE.value,
        TEMPLATES.c.person_id.in_(residents),
    ]
    if model is not None:
        where.append(TEMPLATES.c.model == model)
    enrolled = await session.scalar(
        select(func.count(func.distinct(TEMPLATES.c.person_id))).where(*where)
    )
    total = await session.scalar(
        select(func.count(func.distinct(RESIDENCIES.c.person_id)))
        .join(UNITS, UNITS.c.id == RESIDENCIES.c.unit_id)
        .where(
            UNITS.c.community_id == community_id, active_residency_clause(residency=RESIDENCIES.c)
        )
    )
    pairs = await session.scalar(
        select(func.count(LOOKALIKES.c.id)).where(LOOKALIKES.c.community_id == community_id)
    )
    return EnrollmentCounts(int(enrolled or 0), int(total or 0), int(pairs or 0))


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
        select(VERSIONS.c.community_id, VERSIONS.c.version).where(
            VERSIONS.c.community_id.in_(list(community_ids))
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
        select(TEMPLATES.c.id, TEMPLATES.c.person_id, TEMPLATES.c.blob)
        .where(
            TEMPLATES.c.community_id == community_id,
            TEMPLATES.c.status == TemplateStatus.ACTIVE.value,
            TEMPLATES.c.model == model,
            TEMPLATES.c.person_id.in_(_active_resident_ids(community_id)),
        )
        .order_by(TEMPLATES.c.person_id, TEMPLATES.c.id)
    ).all()
    return version, [StoredTemplate(int(i), int(p), community_id, bytes(b)) for i, p, b in rows]


def communities_with_templates_tx(conn: Connection, model: str) -> list[int]:
    return [
        int(c)
        for c in conn.execute(
            select(TEMPLATES.c.community_id)
            .where(TEMPLATES.c.status == TemplateStatus.ACTIVE.value, TEMPLATES.c.model == model)
            .distinct()
        ).scalars()
    ]


def is_enrolled_tx(conn: Connection, person_id: int, community_id: int) -> bool:
    """Inside a gate decision: does this person still have an active template here?"""
    return (
        conn.execute(
            select(TEMPLATES.c.id)
            .where(
                TEMPLATES.c.person_id == person_id,
                TEMPLATES.c.community_id == community_id,
                TEMPLATES.c.status == TemplateStatus.ACTIVE.value,
            )
            .limit(1)
        ).first()
        is not None
    )
