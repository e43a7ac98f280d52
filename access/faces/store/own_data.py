"""A person's face data for their /privacy export (see :mod:`core.privacy`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import (
    FaceConsent,
    FaceLookalike,
    FaceTemplate,
    TemplateStatus,
)
from core.models import (
    Community,
)
from core.privacy import export_time


async def personal_face_data(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """The person's face data for their /privacy export.

    Every consent given for them (by themselves or by an owner of their home) or by
    them for someone else, and what is enrolled per community: how many templates,
    of which model, since when, and how many look-alikes make face alone not enough
    there (:mod:`~access.faces.store.lookalike`). The templates themselves are not included: they
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
    pairs = dict(
        (
            await session.execute(
                select(Community.name, func.count(FaceLookalike.id))
                .join(Community, Community.id == FaceLookalike.community_id)
                .where(
                    or_(
                        FaceLookalike.person_a_id == person_id,
                        FaceLookalike.person_b_id == person_id,
                    )
                )
                .group_by(Community.name)
            )
        )
        .tuples()
        .all()
    )

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
                # People enrolled there who look so much like me that my face alone no
                # longer opens the gate (who they are is their data, not mine).
                "look_alikes": int(pairs.get(community, 0)),
            }
            for community, model, count, since in templates
        ],
    }
