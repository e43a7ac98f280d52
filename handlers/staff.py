"""Shared pieces for handlers that run in a community's admin group.

``AdminGroup()`` matches updates from a group bound to a community (``/setup``)
and injects that ``community``. ``ensure_staff`` is the role check every staff
action calls first: anyone else is refused, and the refusal is audited.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.middlewares.db import current_session
from core.audit import record_audit, record_refusal
from core.identity import Identity, community_by_admin_chat
from core.models import Community, Staff, StaffRole


class AdminGroup(Filter):
    """Passes in a group bound to a community; injects ``community``."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, event_chat: Chat | None = None
    ) -> bool | dict[str, Any]:
        if event_chat is None or event_chat.type not in {"group", "supergroup"}:
            return False
        community = await community_by_admin_chat(session, event_chat.id)
        if community is None:
            return False
        return {"community": community}


def speak_for_group(app: AppContext, community: Community) -> str:
    """From here on this update speaks the admin group's language, not the presser's:
    what it writes (card edits, replies, alerts) is read by the whole office.
    Returns that locale."""
    locale = community.locale or app.settings.default_locale
    app.i18n.ctx_locale.set(locale)
    return locale


def role_names() -> dict[StaffRole, str]:
    return {
        StaffRole.MANAGER: _("manager"),
        StaffRole.TECHNICIAN: _("technician"),
        StaffRole.GUARD: _("guard"),
        StaffRole.ACCOUNTANT: _("accountant"),
    }


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
    session = current_session.get()
    if identity.person_id is not None:
        # Re-read the role: the decision must not rest on a cached identity.
        query = select(Staff.role).where(
            Staff.person_id == identity.person_id,
            Staff.community_id == community.id,
            Staff.active.is_(True),
        )
        if session is not None:
            role = await session.scalar(query)
        else:
            async with app.session_factory() as own:
                role = await own.scalar(query)
        if role is not None and (not roles or role in roles):
            return True
    if roles:
        names = role_names()
        text = _("Only {roles} can do this.").format(roles=", ".join(names[r] for r in roles))
    else:
        text = _("Only staff of this community can do this.")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.reply(text)
    refusal = {
        "community_id": community.id,
        "actor_person_id": identity.person_id,
        "actor_telegram_id": identity.telegram_id,
        "details": {"required_roles": [r.value for r in roles]},
    }
    if session is not None:
        # Joins the update's transaction, which commits when the handler returns
        # (it returns right after a refusal). A second session would have to wait
        # for this transaction's SQLite write lock.
        await record_audit(session, action, allowed=False, **refusal)  # type: ignore[arg-type]
    else:
        await record_refusal(app.session_factory, action, **refusal)
    return False
