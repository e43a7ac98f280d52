"""Old home of the admin-group helpers, kept until every area has moved onto
``handlers.kit.admin_router`` and its staff gate (issue 13); delete it then.

``ensure_staff`` is the hand-written check those areas still call: it refuses,
answers and audits exactly as the staff gate does (the gate shares its code).
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from bot.context import AppContext
from bot.middlewares.db import current_session
from core.audit import record_refusal
from core.identity import Identity
from core.models import Community, StaffRole
from core.permissions import ANY_STAFF, active_staff_role
from handlers.kit.staff_gate import (
    AdminGroup,
    admit,
    group_locale,
    refusal_details,
    refuse,
    role_names,
)

__all__ = ["AdminGroup", "ensure_staff", "role_names", "speak_for_group"]


def speak_for_group(app: AppContext, community: Community) -> str:
    """From here on this update speaks the admin group's language, not the presser's:
    what it writes (card edits, replies, alerts) is read by the whole office.
    Returns that locale."""
    locale = group_locale(app, community)
    app.i18n.ctx_locale.set(locale)
    return locale


async def ensure_staff(
    event: Message | CallbackQuery,
    app: AppContext,
    identity: Identity,
    community: Community,
    *roles: StaffRole,
    action: str,
) -> bool:
    """True when the sender is active staff of ``community`` with one of ``roles``
    (any role when none are given). Otherwise tell them, audit the refusal, and
    return False."""
    allowed = frozenset(roles) if roles else ANY_STAFF
    session = current_session.get()
    if session is not None:
        return await admit(event, session, identity, community, action, allowed) is not None
    if identity.person_id is not None:
        async with app.session_factory() as own:
            role = await active_staff_role(own, identity.person_id, community.id)
        if role is not None and role in allowed:
            return True
    await refuse(event, allowed)
    await record_refusal(
        app.session_factory,
        action,
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        details=refusal_details(allowed),
    )
    return False
