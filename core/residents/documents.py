"""Proof documents: the applicant's draft uploads and their purge after the decision.

Documents are Telegram file references only; :func:`purge_documents` deletes them
``document_retention_days`` (community config, default 30) after the decision, and
drafts nobody submitted after :data:`~core.residents.common.DRAFT_LIFETIME`."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.movein_models import (
    ApplicationDocument,
    DocumentKind,
    MoveInApplication,
)
from core.residents.common import DRAFT_LIFETIME, MAX_DOCUMENTS_PER_KIND, ResidentsError


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
    count = await draft_count(session, person_id, kind)
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


async def draft_count(session: AsyncSession, person_id: int, kind: DocumentKind | None) -> int:
    query = select(func.count(ApplicationDocument.id)).where(
        ApplicationDocument.person_id == person_id,
        ApplicationDocument.application_id.is_(None),
    )
    if kind is not None:
        query = query.where(ApplicationDocument.kind == kind)
    return int(await session.scalar(query) or 0)


async def draft_counts(session: AsyncSession, person_id: int) -> dict[DocumentKind, int]:
    return {k: await draft_count(session, person_id, k) for k in DocumentKind}


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
