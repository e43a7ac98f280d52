"""Builders shared by the move-in tests."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from core.models import AuditEntry


def jpeg(color: tuple[int, int, int] = (200, 180, 160), size: tuple[int, int] = (640, 400)) -> bytes:
    """A small real JPEG (the emulator, like Telegram, refuses non-images)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


async def audit_actions(session_factory, **filters) -> list[AuditEntry]:
    async with session_factory() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in filters.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return list((await session.scalars(query)).all())
