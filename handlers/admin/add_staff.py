"""``/addstaff``: a manager makes a member of the admin group staff.

Steps: a manager replies to a member's message with /addstaff (or sends
/addstaff with their Telegram id) → the person must be a member of the group →
a button per role → the chosen role is given (or changed, for present staff; the
last manager cannot be demoted) and the question becomes "… is now <role>".
Everyone else is refused and audited (the staff gate).
"""

from __future__ import annotations

import html

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ResultChatMemberUnion,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.communities import add_staff
from core.identity import Identity
from core.models import Community, StaffRole
from handlers.admin.staff import apply_change
from handlers.kit import admin_router, answer_query, button_enum, edit, group_command, role_names
from handlers.movein import person_link

router = admin_router("admin.add_staff")

group_command("addstaff", __("Add staff: reply to their message with /addstaff"), order=6)


class AddStaffCb(CallbackData, prefix="sa"):
    telegram_id: int
    role: str


async def _group_member(bot: Bot, chat_id: int, telegram_id: int) -> ResultChatMemberUnion | None:
    """The person's membership of the group, None unless they are in it."""
    try:
        member = await bot.get_chat_member(chat_id, telegram_id)
    except TelegramBadRequest:
        return None
    return None if member.status in ("left", "kicked") else member


@router.message(Command("addstaff"), flags={"staff": "staff.add"})
async def add_staff_command(message: Message, command: CommandObject, bot: Bot) -> None:
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
    member = await _group_member(bot, message.chat.id, target_id)
    if member is None:
        await message.reply(
            _("Only members of this group can become staff. Add them to the group first.")
        )
        return
    names = role_names()
    buttons = [
        InlineKeyboardButton(
            text=names[r], callback_data=AddStaffCb(telegram_id=target_id, role=r.value).pack()
        )
        for r in StaffRole
    ]
    await message.reply(
        _("Which role for {name}?").format(name=html.escape(target_name or member.user.full_name)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]),
    )


@router.callback_query(AddStaffCb.filter(), flags={"staff": "staff.add"})
async def add_staff_role(
    query: CallbackQuery,
    callback_data: AddStaffCb,
    session: AsyncSession,
    identity: Identity,
    community: Community,
    bot: Bot,
) -> None:
    assert isinstance(query.message, Message)
    member = await _group_member(bot, query.message.chat.id, callback_data.telegram_id)
    if member is None:
        await answer_query(query, _("Only members of this group can become staff."), alert=True)
        return
    role = button_enum(StaffRole, callback_data.role)
    added = add_staff(
        session,
        community,
        callback_data.telegram_id,
        role,
        full_name=member.user.full_name,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
    )
    if not await apply_change(query, added):
        return
    await answer_query(query, _("Added."))
    await edit(
        query,
        _("{name} is now {role} of {community}.").format(
            name=person_link(callback_data.telegram_id, member.user.full_name),
            role=role_names()[role],
            community=html.escape(community.name),
        ),
    )
