"""The staff gate: who may act in a community's admin group, and in which language.

Steps, for every message and button on an :func:`~handlers.kit.admin_router`:

1. ``AdminGroup()`` (the router's filter) passes only in a group bound to a
   community and injects ``community``.
2. A handler flagged ``flags={"staff": "<area.verb>"}`` runs only for active staff
   of that community whose role ``core.permissions`` allows for the action; the
   handler gets ``staff_role``. Anyone else is told so in their own language (an
   alert for a button) and the refusal is audited under the action's name.
3. From there on the update speaks the admin group's language (the community's,
   else the deployment default): what it writes is read by the whole office.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.audit import record_audit
from core.identity import Identity, community_by_admin_chat
from core.models import Community, StaffRole
from core.permissions import ANY_STAFF, active_staff_role, ordered, roles_for

# session.info key: the community of each admin chat looked up in this update, so
# several admin routers (and handlers) asking about the same chat cost one query.
_ADMIN_CHATS = "admin_chats"

# A handler's "staff" flag: the action, or a function choosing it from the update
# (a confirm button whose action was stored in the conversation, say).
StaffFlag = str | Callable[[TelegramObject, dict[str, Any]], str | Awaitable[str]]


class AdminGroup(Filter):
    """Passes in a group bound to a community; injects ``community``."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, event_chat: Chat | None = None
    ) -> bool | dict[str, Any]:
        if event_chat is None or event_chat.type not in {"group", "supergroup"}:
            return False
        known: dict[int, Community | None] = session.info.setdefault(_ADMIN_CHATS, {})
        if event_chat.id in known:
            community = known[event_chat.id]
        else:
            community = known[event_chat.id] = await community_by_admin_chat(session, event_chat.id)
        if community is None:
            return False
        return {"community": community}


def role_names() -> dict[StaffRole, str]:
    return {
        StaffRole.MANAGER: _("manager"),
        StaffRole.TECHNICIAN: _("technician"),
        StaffRole.GUARD: _("guard"),
        StaffRole.ACCOUNTANT: _("accountant"),
    }


def group_locale(app: AppContext, community: Community) -> str:
    """The language the admin group is spoken to in."""
    return community.locale or app.settings.default_locale


async def admit(
    event: Message | CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    community: Community,
    action: str,
    roles: frozenset[StaffRole] | None = None,
) -> StaffRole | None:
    """The sender's staff role when it may do ``action`` (roles from
    ``core.permissions`` unless given); otherwise refuse, audit, and return None."""
    allowed = roles_for(action) if roles is None else roles
    if identity.person_id is not None:
        role = await active_staff_role(session, identity.person_id, community.id)
        if role is not None and role in allowed:
            return role
    await refuse(event, allowed)
    # Joins the update's transaction, which commits when the update is done (the
    # handler does not run). A second session would have to wait for this
    # transaction's SQLite write lock.
    await record_audit(
        session,
        action,
        allowed=False,
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        details=refusal_details(allowed),
    )
    return None


def refusal_details(allowed: frozenset[StaffRole]) -> dict[str, Any]:
    required = [] if allowed == ANY_STAFF else ordered(allowed)
    return {"required_roles": [role.value for role in required]}


async def refuse(event: Message | CallbackQuery, allowed: frozenset[StaffRole]) -> None:
    """Tell the sender they may not, in the language they read."""
    if allowed == ANY_STAFF:
        text = _("Only staff of this community can do this.")
    else:
        names = role_names()
        text = _("Only {roles} can do this.").format(
            roles=", ".join(names[role] for role in ordered(allowed))
        )
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.reply(text)


class StaffGate(BaseMiddleware):
    """The inner middleware of admin-group routers (steps 2 and 3 above)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        community: Community | None = data.get("community")
        if community is None:  # not through AdminGroup: nothing to decide here
            return await handler(event, data)
        flag: StaffFlag | None = get_flag(data, "staff")
        if flag is not None:
            assert isinstance(event, Message | CallbackQuery)
            action = flag(event, data) if callable(flag) else flag
            if inspect.isawaitable(action):
                action = await action
            role = await admit(event, data["session"], data["identity"], community, action)
            if role is None:
                return None  # refused: handled, nobody else answers this update
            data["staff_role"] = role
        app: AppContext = data["app"]
        locale = group_locale(app, community)
        data["locale"] = locale
        with app.i18n.use_locale(locale):
            return await handler(event, data)
