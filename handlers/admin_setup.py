"""The admin group: ``/setup`` binds it to a community, and managers run the
staff list from it.

``/setup`` (a manager of the community, in the group) stores the group as the
community's admin chat (``Community.admin_chat_id``, ``admin_chat_is_forum``),
checks the bot is an administrator and names the rights it lacks, and posts
move-in applications that were waiting for a group. Running it again re-checks.
Other areas then find the community of the chat with ``handlers.staff.AdminGroup()``.

``/staff`` lists staff; managers change roles and remove staff with its
buttons. ``/addstaff`` in reply to a member's message (or with their Telegram
id) adds them. Everyone else pressing these buttons is refused and audited.
"""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
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
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import group_command
from bot.context import AppContext
from core.audit import record_refusal
from core.communities import (
    CommunityError,
    add_staff,
    bind_admin_group,
    change_staff_role,
    list_staff,
    migrate_admin_group,
    remove_staff,
)
from core.identity import Identity, community_by_admin_chat
from core.models import Community, Staff, StaffRole
from core.movein_models import OPEN_APPLICATION_STATUSES, MoveInApplication
from handlers.movein.posting import post_application
from handlers.movein.texts import person_link
from handlers.staff import AdminGroup, ensure_staff, role_names

log = logging.getLogger(__name__)

router = Router(name="movein.admin_setup")
router.message.filter(F.chat.type.in_({"group", "supergroup"}))
router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))

group_command("setup", __("Bind this group to your community (managers)"), order=1)
group_command("staff", __("Staff of this community"), order=5)
group_command("addstaff", __("Add staff: reply to their message with /addstaff"), order=6)


class SetupCb(CallbackData, prefix="su"):
    community_id: int


class StaffCb(CallbackData, prefix="sf"):
    action: str  # open, role, rm, rmy, list
    staff_id: int = 0
    role: str = ""


class AddStaffCb(CallbackData, prefix="sa"):
    telegram_id: int
    role: str


def _rights() -> list[tuple[str, str]]:
    """The admin rights features use in the staff group: removing stale messages,
    pinning notices, creating invite links for new staff (and, in forums,
    creating each area's topic). Nothing more: least privilege."""
    return [
        ("can_delete_messages", _("delete messages")),
        ("can_pin_messages", _("pin messages")),
        ("can_invite_users", _("invite users via link")),
    ]


# --- /setup ---------------------------------------------------------------------------------


@router.message(Command("setup"))
async def setup(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, bot: Bot
) -> None:
    chat = message.chat
    bound = await community_by_admin_chat(session, chat.id)
    if bound is not None:
        if not await ensure_staff(
            message, app, identity, bound, StaffRole.MANAGER, action="setup.bind"
        ):
            return
        await _bind(message, session, app, identity, bound, chat, bot)
        return
    managed = [s.community_id for s in identity.staff if s.role == StaffRole.MANAGER]
    if not managed:
        # Audited before answering, so the record exists once the refusal is seen.
        await record_refusal(
            app.session_factory,
            "setup.bind",
            actor_person_id=identity.person_id,
            actor_telegram_id=identity.telegram_id,
            details={"chat_id": chat.id},
        )
        await message.reply(
            _(
                "Only a manager of a community can bind this group. The operator adds the "
                "first manager with: courtyard add-staff COMMUNITY {id} --role manager"
            ).format(id=identity.telegram_id)
        )
        return
    communities = (
        await session.scalars(
            select(Community).where(Community.id.in_(managed)).order_by(Community.name)
        )
    ).all()
    if len(communities) == 1:
        await _bind(message, session, app, identity, communities[0], chat, bot)
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


@router.callback_query(SetupCb.filter())
async def setup_chosen(
    query: CallbackQuery,
    callback_data: SetupCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    bot: Bot,
) -> None:
    community = await session.get(Community, callback_data.community_id)
    if community is None or not isinstance(query.message, Message):
        await query.answer(_("This community no longer exists."), show_alert=True)
        return
    if not await ensure_staff(
        query, app, identity, community, StaffRole.MANAGER, action="setup.bind"
    ):
        return
    await query.answer()
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
    await session.commit()
    member = await bot.get_chat_member(chat.id, bot.id)
    with app.i18n.use_locale(community.locale):
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
                _(
                    "⚠️ I am not an administrator here. Please make me an admin, then send /setup "
                    "again."
                )
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
    await _post_waiting_applications(session, app, community, chat.id)


async def _post_waiting_applications(
    session: AsyncSession, app: AppContext, community: Community, chat_id: int
) -> None:
    waiting = (
        await session.scalars(
            select(MoveInApplication.id)
            .where(
                MoveInApplication.community_id == community.id,
                MoveInApplication.status.in_(OPEN_APPLICATION_STATUSES),
                or_(
                    MoveInApplication.admin_message_id.is_(None),
                    MoveInApplication.admin_chat_id != chat_id,
                ),
            )
            .order_by(MoveInApplication.id)
        )
    ).all()
    for application_id in waiting:
        try:
            await post_application(app, session, application_id)
        except TelegramAPIError:
            log.warning("waiting application not posted", exc_info=True)
            break


@router.message(F.migrate_to_chat_id)
async def group_upgraded(message: Message, session: AsyncSession) -> None:
    """A group that became a supergroup has a new id: follow it."""
    assert message.migrate_to_chat_id is not None
    await migrate_admin_group(session, message.chat.id, message.migrate_to_chat_id)


# --- /staff -------------------------------------------------------------------------------------


async def _staff_list(
    session: AsyncSession, community: Community
) -> tuple[str, InlineKeyboardMarkup]:
    members = await list_staff(session, community.id)
    names = role_names()
    lines = [_("Staff of {community}:").format(community=html.escape(community.name))]
    lines += [f"• {person_link(m.telegram_id, m.full_name)} — {names[m.role]}" for m in members]
    rows = [
        [
            InlineKeyboardButton(
                text=f"{m.full_name or m.telegram_id} · {names[m.role]}",
                callback_data=StaffCb(action="open", staff_id=m.staff_id).pack(),
            )
        ]
        for m in members
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("staff"), AdminGroup())
async def staff_command(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(message, app, identity, community, action="staff.list"):
        return
    with app.i18n.use_locale(community.locale):
        text, markup = await _staff_list(session, community)
        await message.reply(
            text + "\n" + _("Managers: tap a name to change the role or remove."),
            reply_markup=markup,
        )


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    assert isinstance(query.message, Message)
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        log.info("staff message not edited", extra={"fields": {"error": str(exc)}})


def _last_manager_text() -> str:
    return _("A community needs at least one manager: add another manager first.")


@router.callback_query(StaffCb.filter(), AdminGroup())
async def staff_pressed(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    action = {
        "open": "staff.manage",
        "role": "staff.change_role",
        "rm": "staff.remove",
        "rmy": "staff.remove",
        "list": "staff.manage",
    }.get(callback_data.action, "staff.manage")
    if not await ensure_staff(query, app, identity, community, StaffRole.MANAGER, action=action):
        return
    staff = await session.get(Staff, callback_data.staff_id) if callback_data.staff_id else None
    if callback_data.action != "list" and (
        staff is None or staff.community_id != community.id or not staff.active
    ):
        await query.answer(_("This person is no longer staff here."), show_alert=True)
        return
    names = role_names()
    with app.i18n.use_locale(community.locale):
        if callback_data.action == "list":
            await query.answer()
            text, markup = await _staff_list(session, community)
            await _edit(query, text, markup)
            return
        assert staff is not None
        from core.models import Person

        person = await session.get(Person, staff.person_id)
        name = (
            person.full_name
            if person and person.full_name
            else str(person.telegram_id if person else "?")
        )
        try:
            if callback_data.action == "role":
                role = StaffRole(callback_data.role)
                await change_staff_role(
                    session,
                    community.id,
                    staff.id,
                    role,
                    actor_person_id=identity.person_id,
                    actor_telegram_id=identity.telegram_id,
                )
                await query.answer(_("Role changed."))
            elif callback_data.action == "rmy":
                await remove_staff(
                    session,
                    community.id,
                    staff.id,
                    actor_person_id=identity.person_id,
                    actor_telegram_id=identity.telegram_id,
                )
                await query.answer(_("Removed."))
                text, markup = await _staff_list(session, community)
                await _edit(
                    query,
                    _("{name} is no longer staff.").format(name=html.escape(name)) + "\n\n" + text,
                    markup,
                )
                return
            elif callback_data.action == "rm":
                await query.answer()
                await _edit(
                    query,
                    _("Remove {name} from the staff of {community}?").format(
                        name=html.escape(name), community=html.escape(community.name)
                    ),
                    InlineKeyboardMarkup(
                        inline_keyboard=[
                            [
                                InlineKeyboardButton(
                                    text=_("Yes, remove"),
                                    callback_data=StaffCb(action="rmy", staff_id=staff.id).pack(),
                                ),
                                InlineKeyboardButton(
                                    text=_("⬅ Back"),
                                    callback_data=StaffCb(action="open", staff_id=staff.id).pack(),
                                ),
                            ]
                        ]
                    ),
                )
                return
            else:
                await query.answer()
        except CommunityError as exc:
            if exc.code == "last_manager":
                await query.answer(_last_manager_text(), show_alert=True)
                return
            raise
        role_rows = [
            InlineKeyboardButton(
                text=("✓ " if staff.role == r else "") + names[r],
                callback_data=StaffCb(action="role", staff_id=staff.id, role=r.value).pack(),
            )
            for r in StaffRole
        ]
        await _edit(
            query,
            _("{name}: {role}. Choose a new role, or remove.").format(
                name=html.escape(name), role=names[staff.role]
            ),
            InlineKeyboardMarkup(
                inline_keyboard=[
                    role_rows[:2],
                    role_rows[2:],
                    [
                        InlineKeyboardButton(
                            text=_("🗑 Remove from staff"),
                            callback_data=StaffCb(action="rm", staff_id=staff.id).pack(),
                        ),
                        InlineKeyboardButton(
                            text=_("⬅ Back"), callback_data=StaffCb(action="list").pack()
                        ),
                    ],
                ]
            ),
        )


# --- /addstaff ---------------------------------------------------------------------------------


@router.message(Command("addstaff"), AdminGroup())
async def add_staff_command(
    message: Message,
    command: CommandObject,
    app: AppContext,
    identity: Identity,
    community: Community,
    bot: Bot,
) -> None:
    if not await ensure_staff(
        message, app, identity, community, StaffRole.MANAGER, action="staff.add"
    ):
        return
    target_id: int | None = None
    target_name = ""
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and not replied.from_user.is_bot
        and not replied.forum_topic_created
    ):
        target_id, target_name = replied.from_user.id, replied.from_user.full_name
    elif command.args and command.args.strip().isdigit():
        target_id = int(command.args.strip())
    if target_id is None:
        await message.reply(
            _(
                "Reply with /addstaff to a message of the person to add, or send /addstaff "
                "followed by their Telegram id."
            )
        )
        return
    try:
        member = await bot.get_chat_member(message.chat.id, target_id)
    except TelegramBadRequest:
        member = None
    if member is None or member.status in ("left", "kicked"):
        await message.reply(
            _("Only members of this group can become staff. Add them to the group first.")
        )
        return
    target_name = target_name or member.user.full_name
    names = role_names()
    with app.i18n.use_locale(community.locale):
        await message.reply(
            _("Which role for {name}?").format(name=html.escape(target_name)),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=names[r],
                            callback_data=AddStaffCb(telegram_id=target_id, role=r.value).pack(),
                        )
                        for r in StaffRole
                    ]
                ]
            ),
        )


@router.callback_query(AddStaffCb.filter(), AdminGroup())
async def add_staff_role(
    query: CallbackQuery,
    callback_data: AddStaffCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
    bot: Bot,
) -> None:
    if not await ensure_staff(
        query, app, identity, community, StaffRole.MANAGER, action="staff.add"
    ):
        return
    assert isinstance(query.message, Message)
    try:
        member = await bot.get_chat_member(query.message.chat.id, callback_data.telegram_id)
    except TelegramBadRequest:
        member = None
    if member is None or member.status in ("left", "kicked"):
        await query.answer(_("Only members of this group can become staff."), show_alert=True)
        return
    role = StaffRole(callback_data.role)
    try:
        await add_staff(
            session,
            community,
            callback_data.telegram_id,
            role,
            full_name=member.user.full_name,
            actor_person_id=identity.person_id,
            actor_telegram_id=identity.telegram_id,
        )
    except CommunityError as exc:
        if exc.code == "last_manager":
            await query.answer(_last_manager_text(), show_alert=True)
            return
        raise
    await query.answer(_("Added."))
    with app.i18n.use_locale(community.locale):
        await _edit(
            query,
            _("{name} is now {role} of {community}.").format(
                name=person_link(callback_data.telegram_id, member.user.full_name),
                role=role_names()[role],
                community=html.escape(community.name),
            ),
            None,
        )
