"""The filing draft's media: photos and videos a resident sends before submitting,
counted exactly under concurrent album delivery, and the one-submit marker."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.tickets.common import (
    MAX_PHOTOS,
    MAX_VIDEOS,
    InvalidTicketData,
    insert_for,
)
from core.tickets.filing import MediaItem
from core.tickets.models import (
    TicketDraftMedia,
)


@dataclass(frozen=True)
class DraftMediaResult:
    accepted: bool
    duplicate: bool
    photos: int
    videos: int
    # The first item of an album that was accepted / refused: the one that answers,
    # so an album of five gets one reply instead of five.
    first_of_group: bool
    reason: str = ""  # "too_many_photos" | "too_many_videos" | "mixed"


def _lock_key(draft_key: str) -> int:
    digest = hashlib.blake2b(draft_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def add_draft_media(
    session: AsyncSession,
    clock: Clock,
    draft_key: str,
    *,
    kind: str,
    file_id: str,
    file_unique_id: str,
    media_group_id: str | None,
) -> DraftMediaResult:
    """Add one photo/video to a filing draft, enforcing "up to 5 photos or 1 video".

    Album items are handled concurrently; they are serialised per draft (an
    advisory lock on PostgreSQL, the database write lock on SQLite, taken by
    the INSERT before anything is counted), so the count is always exact.
    """
    if kind not in ("photo", "video"):
        raise InvalidTicketData("media", "only photos and videos")
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(draft_key)}
        )
    insert = insert_for(session)
    inserted = await session.scalar(
        insert(TicketDraftMedia)
        .values(
            draft_key=draft_key,
            kind=kind,
            file_id=file_id,
            file_unique_id=file_unique_id,
            media_group_id=media_group_id,
            accepted=False,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["draft_key", "file_unique_id"])
        .returning(TicketDraftMedia.id)
    )
    rows = (
        await session.execute(
            select(
                TicketDraftMedia.id,
                TicketDraftMedia.kind,
                TicketDraftMedia.accepted,
                TicketDraftMedia.media_group_id,
            ).where(TicketDraftMedia.draft_key == draft_key)
        )
    ).all()
    photos = sum(1 for r in rows if r.accepted and r.kind == "photo")
    videos = sum(1 for r in rows if r.accepted and r.kind == "video")
    if inserted is None:  # Telegram delivered the same update twice
        return DraftMediaResult(False, True, photos, videos, False)
    reason = ""
    if (kind == "photo" and videos) or (kind == "video" and photos):
        reason = "mixed"
    elif kind == "photo" and photos >= MAX_PHOTOS:
        reason = "too_many_photos"
    elif kind == "video" and videos >= MAX_VIDEOS:
        reason = "too_many_videos"
    accepted = not reason
    if accepted:
        await session.execute(
            update(TicketDraftMedia)
            .where(TicketDraftMedia.id == inserted)
            .values(accepted=True)
            .execution_options(synchronize_session=False)
        )
        if kind == "photo":
            photos += 1
        else:
            videos += 1
    first = True
    if media_group_id is not None:
        first = not any(
            r.id != inserted and r.media_group_id == media_group_id and bool(r.accepted) == accepted
            for r in rows
        )
    return DraftMediaResult(accepted, False, photos, videos, first, reason)


async def draft_media(session: AsyncSession, draft_key: str) -> list[MediaItem]:
    rows = (
        await session.scalars(
            select(TicketDraftMedia)
            .where(TicketDraftMedia.draft_key == draft_key, TicketDraftMedia.accepted.is_(True))
            .order_by(TicketDraftMedia.id)
        )
    ).all()
    return [MediaItem(r.kind, r.file_id, r.file_unique_id) for r in rows]


async def clear_draft_media(session: AsyncSession, draft_key: str) -> None:
    await session.execute(delete(TicketDraftMedia).where(TicketDraftMedia.draft_key == draft_key))


# How long an unfinished filing's photos are kept before the drafts job purges them.
DRAFTS_KEPT = timedelta(days=2)


async def purge_stale_drafts(
    session: AsyncSession, clock: Clock, *, older_than: timedelta = DRAFTS_KEPT
) -> int:
    result = await session.execute(
        delete(TicketDraftMedia).where(TicketDraftMedia.created_at < clock.now() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_draft_submission(session: AsyncSession, clock: Clock, draft_key: str) -> bool:
    """True for the first "Submit" of a draft; a double tap (handled concurrently)
    gets False, so one draft never becomes two tickets. The marker row shares the
    draft's unique constraint, which the database enforces across processes."""
    insert = insert_for(session)
    inserted = await session.scalar(
        insert(TicketDraftMedia)
        .values(
            draft_key=draft_key,
            kind="submitted",
            file_id="",
            file_unique_id="",
            media_group_id=None,
            accepted=False,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["draft_key", "file_unique_id"])
        .returning(TicketDraftMedia.id)
    )
    return inserted is not None


async def discard_draft_media(session: AsyncSession, draft_key: str) -> None:
    """Drop a filed draft's media rows, keeping its submission marker."""
    await session.execute(
        delete(TicketDraftMedia).where(
            TicketDraftMedia.draft_key == draft_key, TicketDraftMedia.kind != "submitted"
        )
    )
