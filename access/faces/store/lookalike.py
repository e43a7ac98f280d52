"""Look-alikes, caught at enrollment.

When a person's enrollment is finished, each of their new templates is compared with
the active templates of everyone else enrolled in the same community (same model). Two
people whose nearest templates are closer than the guard distance form a
:class:`~access.faces.models.FaceLookalike` pair: face alone no longer opens for either
of them, the gate asks for a second factor (a code or card, or opening from the chat).
Re-enrolling recomputes the person's pairs; deleting their face (on request, at
move-out, at erasure) removes them. Staff see how many pairs there are, never whose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import numpy as np
from sqlalchemy import Connection, Table, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.crypto import TemplateDecryptionError, decrypt_template
from access.faces.models import FaceLookalike, TemplateStatus
from access.faces.store.common import TEMPLATES, template_context

PAIRS = cast(Table, FaceLookalike.__table__)


@dataclass(frozen=True)
class LookalikePair:
    other_person_id: int
    distance: float


def _involving(person_id: int, community_ids: list[int] | None = None) -> list[object]:
    where: list[object] = [or_(PAIRS.c.person_a_id == person_id, PAIRS.c.person_b_id == person_id)]
    if community_ids is not None:
        where.append(PAIRS.c.community_id.in_(community_ids))
    return where


async def clear_lookalikes(
    session: AsyncSession, person_id: int, community_ids: list[int] | None
) -> int:
    """Remove the person's pairs (in these communities, or everywhere)."""
    result = await session.execute(delete(PAIRS).where(*_involving(person_id, community_ids)))  # type: ignore[arg-type]
    return int(getattr(result, "rowcount", 0) or 0)


async def _templates(
    session: AsyncSession, community_id: int, model: str, secret_key: str
) -> tuple[list[int], np.ndarray]:
    rows = (
        await session.execute(
            select(TEMPLATES.c.id, TEMPLATES.c.person_id, TEMPLATES.c.blob).where(
                TEMPLATES.c.community_id == community_id,
                TEMPLATES.c.status == TemplateStatus.ACTIVE.value,
                TEMPLATES.c.model == model,
            )
        )
    ).all()
    owners: list[int] = []
    vectors: list[np.ndarray] = []
    for row_id, person_id, blob in rows:
        try:
            vec = decrypt_template(
                bytes(blob),
                secret_key,
                context=template_context(int(row_id), int(person_id), community_id),
            )
        except TemplateDecryptionError:
            continue  # the index skips such a row too: it opens nothing
        owners.append(int(person_id))
        vectors.append(vec)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 1), np.float32)
    return owners, matrix


async def find_lookalikes(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int,
    model: str,
    secret_key: str,
    guard: float,
    now: datetime,
) -> list[LookalikePair]:
    """Recompute the person's pairs from the active templates; returns them, nearest first.

    Called in the transaction that activates the person's templates."""
    await clear_lookalikes(session, person_id, [community_id])
    owners, matrix = await _templates(session, community_id, model, secret_key)
    mine = [i for i, p in enumerate(owners) if p == person_id]
    others = [i for i, p in enumerate(owners) if p != person_id]
    if not mine or not others:
        return []
    a, b = matrix[mine], matrix[others]
    # Squared distances without the (mine x others x dim) intermediate.
    d2 = np.einsum("ij,ij->i", b, b)[None, :] + np.einsum("ij,ij->i", a, a)[:, None]
    d2 -= 2.0 * np.einsum("ij,kj->ik", a, b)
    dists = np.sqrt(np.maximum(d2, 0.0)).min(axis=0)
    nearest: dict[int, float] = {}
    for i, d in zip(others, dists, strict=True):
        other = owners[i]
        if d < guard and d < nearest.get(other, np.inf):
            nearest[other] = float(d)
    pairs = sorted((LookalikePair(o, d) for o, d in nearest.items()), key=lambda p: p.distance)
    for pair in pairs:
        low, high = sorted((person_id, pair.other_person_id))
        session.add(
            FaceLookalike(
                community_id=community_id,
                person_a_id=low,
                person_b_id=high,
                distance=round(pair.distance, 4),
                created_at=now,
            )
        )
    await session.flush()
    return pairs


async def lookalike_count(session: AsyncSession, community_id: int) -> int:
    """Staff see how many pairs, never whose."""
    return int(
        await session.scalar(
            select(func.count(PAIRS.c.id)).where(PAIRS.c.community_id == community_id)
        )
        or 0
    )


async def has_lookalike(session: AsyncSession, person_id: int, community_id: int) -> bool:
    return (
        await session.scalar(
            select(PAIRS.c.id).where(*_involving(person_id, [community_id])).limit(1)  # type: ignore[arg-type]
        )
    ) is not None


def has_lookalike_tx(conn: Connection, person_id: int, community_id: int) -> bool:
    """Inside a gate decision: is this person one of a look-alike pair here?"""
    return (
        conn.execute(
            select(PAIRS.c.id).where(*_involving(person_id, [community_id])).limit(1)  # type: ignore[arg-type]
        ).first()
        is not None
    )
