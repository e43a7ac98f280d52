"""The append-only audit log: who did what, including refused attempts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.models import AuditEntry


async def record_audit(
    session: AsyncSession,
    action: str,
    *,
    community_id: int | None = None,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    allowed: bool = True,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the action)."""
    entry = AuditEntry(
        at=utcnow(),
        action=action,
        community_id=community_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        allowed=allowed,
        details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_refusal(
    session_factory: Any,
    action: str,
    **kwargs: Any,
) -> None:
    """Record a refused attempt in its own transaction.

    A refusal must be logged even though the caller's work is rolled back.
    """
    async with session_factory() as session:
        await record_audit(session, action, allowed=False, **kwargs)
        await session.commit()
