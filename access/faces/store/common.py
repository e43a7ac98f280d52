"""What every face store module shares: the consent text version and the other limits,
the tables as Core tables, the error, a template's associated data, and the
community's change counter that tells other processes their index is stale."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import (
    FaceIndexVersion,
    FaceTemplate,
)
from core.models import (
    Residency,
    Unit,
)

#: Version of the consent text the chat shows. Bump it whenever the wording changes in
#: substance; each consent row also keeps the SHA-256 of the exact text shown.
CONSENT_TEXT_VERSION = "2026.1"
#: Children under this age are enrolled only with an owner's guardian consent.
GUARDIAN_AGE = 14
#: Pending templates of an abandoned enrollment are deleted after this long.
PENDING_TTL = timedelta(minutes=30)

TEMPLATES = cast(Table, FaceTemplate.__table__)
VERSIONS = cast(Table, FaceIndexVersion.__table__)
RESIDENCIES = cast(Table, Residency.__table__)
UNITS = cast(Table, Unit.__table__)


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
        update(VERSIONS)
        .where(VERSIONS.c.community_id == community_id)
        .values(version=VERSIONS.c.version + 1, updated_at=now)
    )
    result = await session.execute(stmt)
    if getattr(result, "rowcount", 0) == 0:
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(VERSIONS).values(community_id=community_id, version=1, updated_at=now)
                )
        except IntegrityError:
            # Another transaction created the row first: count on it.
            await session.execute(stmt)
    version = await session.scalar(
        select(VERSIONS.c.version).where(VERSIONS.c.community_id == community_id)
    )
    return int(version or 0)
