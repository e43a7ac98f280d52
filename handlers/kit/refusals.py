"""Refusing an action on something that is not the sender's: one place that answers
and audits it.

The staff gate (``handlers.kit.staff_gate``) refuses who may not act at all. Past
it, a button or command still carries ids — a resident, a pass, a ticket, a unit, a
gate — and a forged one may name another owner's or another community's. Every
such refusal goes through :func:`refuse_foreign`: the sender gets the handler's
words (an alert for a button), and the attempt is a row of the audit log
(``allowed=False``, the target and ``reason: not_yours``) in the update's
transaction, like the staff gate's refusals.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.identity import Identity
from handlers.kit.replies import answer_query


async def refuse_foreign(
    event: Message | CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    action: str,
    text: str,
    *,
    target_type: str,
    target_id: object,
    community_id: int | None = None,
) -> None:
    """Answer ``text`` and audit the refused ``action`` on ``target_type`` #``target_id``."""
    await record_audit(
        session,
        action,
        allowed=False,
        community_id=community_id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type=target_type,
        target_id=target_id,
        details={"reason": "not_yours"},
    )
    if isinstance(event, CallbackQuery):
        await answer_query(event, text, alert=True)
    else:
        await event.reply(text)
