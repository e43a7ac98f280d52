"""``/setup``: binding a group to a community as its admin (staff) group.

Steps: a manager sends /setup in the group → in a group already bound, the staff
gate lets only a manager of that community re-run it; in an unbound group the
sender must manage some community (anyone else is refused, and audited) → with
several communities, a button picks one (its managers only) → the group is stored
as the community's admin chat (``Community.admin_chat_id``, ``admin_chat_is_forum``)
→ the bot checks it is an administrator and names the rights it lacks → move-in
applications that were waiting for a group are posted. Running it again re-checks.
A group that becomes a supergroup has a new id, which the binding follows.
Other areas find the community of the chat with ``handlers.kit.admin_router``.
"""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core import admin_group
from core.audit import record_refusal
from core.communities import CommunityError, bind_admin_group, migrate_admin_group
from core.identity import Identity
from core.models import Community, StaffRole
from handlers.kit import (
    admin_router,
    admit,
    answer_query,
    commit_before_send,
    group_command,
    group_locale,
)
from handlers.movein import post_application

log = logging.getLogger(__name__)

# /setup in a group already bound to a community: its managers only.
router = admin_router("admin.setup")
# /setup in a group not bound yet, the community buttons, and group upgrades.
unbound_router = Router(name="admin.setup_unbound")
unbound_router.message.filter(F.chat.type.in_({"group", "supergroup"}))
unbound_router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))

group_command("setup", __("Bind this group to your community (managers)"), order=1)


class SetupCb(CallbackData, prefix="su"):
    community_id: int


def _rights() -> list[tuple[str, str]]:
    """The admin rights features use in the staff group: removing stale messages,
    pinning notices, creating invite links for new staff (and, in forums,
    creating each area's topic). Nothing more: least privilege."""
    return [
        ("can_delete_messages", _("delete messages")),
        ("can_pin_messages", _("pin messages")),
        ("can_invite_users", _("invite users via link")),
    ]


@router.message(Command("setup"), flags={"staff": "setup.bind"})
async def setup_again(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
    bot: Bot,
) -> None:
    await _bind(message, session, app, identity, community, message.chat, bot)


@unbound_router.message(Command("setup"))
async def setup(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, bot: Bot
) -> None:
    managed = [s.community_id for s in identity.staff if s.role == StaffRole.MANAGER]
    if not managed:
        # Audited before answering, so the record exists once the refusal is seen.
        await record_refusal(
            app.session_factory,
            "setup.bind",
            actor_person_id=identity.person_id,
            actor_telegram_id=identity.telegram_id,
            details={"chat_id": message.chat.id},
        )
        await message.reply(
            _(
                "Only a manager of a community can bind this group. The operator adds the "
                "first manager with: courtyard add-staff COMMUNITY {id} --role manager"
            ).format(id=identity.telegram_id)
        )
        return
    communities = await admin_group.communities_by_name(session, managed)
    if len(communities) == 1:
        with app.i18n.use_locale(group_locale(app, communities[0])):
            await _bind(message, session, app, identity, communities[0], message.chat, bot)
        return
    await message.reply(
        _("Which community is this group for?"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=c.name, callback_data=SetupCb(community_id=c.id).pack())]
                for c in communities
            ]
        ),
    )


@unbound_router.callback_query(SetupCb.filter())
async def setup_chosen(
    query: CallbackQuery,
    callback_data: SetupCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    bot: Bot,
) -> None:
    community = await admin_group.community(session, callback_data.community_id)
    if community is None or not isinstance(query.message, Message):
        await answer_query(query, _("This community no longer exists."), alert=True)
        return
    # The community is the one on the button, not (yet) the chat's: checked here.
    if await admit(query, session, identity, community, "setup.bind") is None:
        return
    await answer_query(query)
    with app.i18n.use_locale(group_locale(app, community)):
        await _bind(query.message, session, app, identity, community, query.message.chat, bot)


async def _bind(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
    chat: Chat,
    bot: Bot,
) -> None:
    """Bind, report what the bot can and cannot do here, post what was waiting
    (in the group's language, which the caller has switched to)."""
    full = await bot.get_chat(chat.id)
    is_forum = bool(full.is_forum)
    try:
        previous = await bind_admin_group(
            session,
            community,
            chat.id,
            is_forum=is_forum,
            actor_person_id=identity.person_id,
            actor_telegram_id=identity.telegram_id,
        )
    except CommunityError as exc:
        await message.reply(
            _("This group is already the staff group of {community}.").format(
                community=html.escape(str(exc.details.get("community", "")))
            )
        )
        return
    # The staff who read the answer act in this group at once (another person's
    # update, not serialised with this one): they must find it bound.
    await commit_before_send(session)
    member = await bot.get_chat_member(chat.id, bot.id)
    lines = [
        _("✅ This group is now the staff group of <b>{community}</b>.").format(
            community=html.escape(community.name)
        )
    ]
    if previous is not None and previous != chat.id:
        lines.append(_("It replaces the previous staff group."))
    wanted = _rights()
    if is_forum:
        wanted.append(("can_manage_topics", _("manage topics")))
    if isinstance(member, ChatMemberOwner):
        missing: list[str] = []
    elif isinstance(member, ChatMemberAdministrator):
        missing = [label for attr, label in wanted if not getattr(member, attr, False)]
    else:
        missing = [label for _attr, label in wanted]
        lines.append(
            _("⚠️ I am not an administrator here. Please make me an admin, then send /setup again.")
        )
    if missing:
        lines.append(
            _("⚠️ I still lack these admin rights: {rights}.").format(rights=", ".join(missing))
        )
    elif isinstance(member, ChatMemberOwner | ChatMemberAdministrator):
        lines.append(_("I have all the admin rights I need."))
    if is_forum:
        lines.append(_("Topics are on: each area posts in its own topic."))
    else:
        lines.append(_("Tip: turn on Topics in the group settings to keep areas apart."))
    lines.append(_("Managers: /staff to manage staff, /addstaff to add someone."))
    await message.reply("\n".join(lines))
    for application_id in await admin_group.applications_waiting_for_group(
        session, community.id, chat.id
    ):
        try:
            await post_application(app, session, application_id)
        except TelegramAPIError:
            log.warning("waiting application not posted", exc_info=True)
            break


@unbound_router.message(F.migrate_to_chat_id)
async def group_upgraded(message: Message, session: AsyncSession) -> None:
    """A group that became a supergroup has a new id: follow it."""
    assert message.migrate_to_chat_id is not None
    await migrate_admin_group(session, message.chat.id, message.migrate_to_chat_id)
