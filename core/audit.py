"""The append-only audit log: who did what, including refused attempts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.models import AuditEntry

# Every action services record (refused staff actions are recorded under the staff
# action's name, see core.permissions). The audit log's readers name each one; a
# new record_audit("area.verb") is added here (tests/audit checks the sources).
RECORDED_ACTIONS: frozenset[str] = frozenset(
    {
        "access.clear_lockout",
        "access.log_export",
        "access.staff_open",
        "access.walkin_answer",
        "access.resident_qr",
        "events.sign_up",
        "parking.paid_after_exit",
        "parking.pay",
        "surveys.close",
        "audit.export",
        "community.admin_group_bound",
        "community.created",
        "community.units_imported",
        "faces.consent",
        "faces.deleted",
        "faces.enrolled",
        "faces.liveness",
        "votes.cast",
        "votes.result",
        "fees.adjust",
        "fees.bills_generate",
        "fees.expense",
        "fees.expense_reverse",
        "fees.item_add",
        "fees.item_retire",
        "fees.payment_offline",
        "fees.refund",
        "handover.issued",
        "home.use",
        "handover.returned",
        "invitation.family_created",
        "invitation.issued",
        "invitation.redeemed",
        "invitation.revoked",
        "movein.approved",
        "movein.more_requested",
        "movein.more_sent",
        "movein.rejected",
        "movein.submitted",
        "movein.withdrawn",
        "passes.revoke",
        "privacy.erased",
        "residency.ended",
        "residency.family_added",
        "residency.family_remove",
        "sandbox.seeded",
        "staff.added",
        "staff.removed",
        "staff.role_changed",
        "tickets.own",
    }
)


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
