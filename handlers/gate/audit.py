"""The audit entry of a gate staff action: the action, the community, who did it
(person and Telegram account), what it was done to, and whether it went through."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.identity import Identity
from core.models import Community


async def audit(
    session: AsyncSession,
    action: str,
    community: Community,
    identity: Identity,
    *,
    target: tuple[str, object] | None = None,
    allowed: bool = True,
    details: dict[str, Any] | None = None,
) -> None:
    """Recorded in the update's transaction: it commits with the action."""
    target_type, target_id = target if target is not None else (None, None)
    await record_audit(
        session,
        action,
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type=target_type,
        target_id=target_id,
        allowed=allowed,
        details=details,
    )
