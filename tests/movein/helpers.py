"""Builders shared by the move-in tests."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import select

from core.models import AuditEntry


def jpeg(
    color: tuple[int, int, int] = (200, 180, 160), size: tuple[int, int] = (640, 400)
) -> bytes:
    """A small real JPEG (the emulator, like Telegram, refuses non-images)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


async def audit_actions(session_factory, *, wait_for: int = 0, **filters) -> list[AuditEntry]:
    """Audit entries matching ``filters``. A refusal is written in its own
    transaction right after the refused person is answered, so with
    ``wait_for=n`` this waits (briefly) until at least n entries are there."""
    for _ in range(100):
        async with session_factory() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            for key, value in filters.items():
                query = query.where(getattr(AuditEntry, key) == value)
            rows = list((await session.scalars(query)).all())
        if len(rows) >= wait_for:
            return rows
        await asyncio.sleep(0.05)
    return rows
