"""``/staff``: the staff list of the community, and a manager's changes to it.

Steps: /staff (any staff) → the list, one button per person → a manager taps a
name → that person's card: their role, a button per role, Remove, Back → a role
button changes the role (the card shows it) → Remove asks to confirm → confirmed,
the person is no longer staff and the list is shown again. A community keeps at
least one manager: the change that would leave none is refused with an alert.
Everyone else pressing these buttons is refused and audited (the staff gate).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core import admin_group
from core.communities import (
    CommunityError,
    StaffMember,
    change_staff_role,
    list_staff,
    remove_staff,
)
from core.identity import Identity
from core.models import Community, StaffRole
from handlers.kit import (
    admin_router,
    answer_query,
    button_enum,
    edit,
    group_command,
    refuse_foreign,
    role_names,
)
from handlers.movein import person_link

router = admin_router("admin.staff")

group_command("staff", __("Staff of this community"), order=5)


class StaffCb(CallbackData, prefix="sf"):
    action: str  # open, role, rm, rmy, list
    staff_id: int = 0
    role: str = ""


def last_manager_text() -> str:
    return _("A community needs at least one manager: add another manager first.")


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


def _name(member: StaffMember) -> str:
    return html.escape(member.full_name or str(member.telegram_id))


def _card(member: StaffMember) -> tuple[str, InlineKeyboardMarkup]:
    names = role_names()
    role_buttons = [
        InlineKeyboardButton(
            text=("✓ " if member.role == r else "") + names[r],
            callback_data=StaffCb(action="role", staff_id=member.staff_id, role=r.value).pack(),
        )
        for r in StaffRole
    ]
    text = _("{name}: {role}. Choose a new role, or remove.").format(
        name=_name(member), role=names[member.role]
    )
    last_row = [
        InlineKeyboardButton(
            text=_("🗑 Remove from staff"),
            callback_data=StaffCb(action="rm", staff_id=member.staff_id).pack(),
        ),
        InlineKeyboardButton(text=_("⬅ Back"), callback_data=StaffCb(action="list").pack()),
    ]
    rows = [role_buttons[:2], role_buttons[2:], last_row]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("staff"), flags={"staff": "staff.list"})
async def staff_command(message: Message, session: AsyncSession, community: Community) -> None:
    text, markup = await _staff_list(session, community)
    await message.reply(
        text + "\n" + _("Managers: tap a name to change the role or remove."),
        reply_markup=markup,
    )


@router.callback_query(StaffCb.filter(F.action == "list"), flags={"staff": "staff.manage"})
async def back_to_list(query: CallbackQuery, session: AsyncSession, community: Community) -> None:
    await answer_query(query)
    text, markup = await _staff_list(session, community)
    await edit(query, text, reply_markup=markup)


# The card's buttons: the action the staff gate checks for each.
_ACTIONS = {"open": "staff.manage", "role": "staff.change_role", "rm": "staff.remove"}
_ACTIONS["rmy"] = "staff.remove"


def _card_action(event: object, data: dict[str, Any]) -> str:
    return _ACTIONS.get(data["callback_data"].action, "staff.manage")


async def apply_change(query: CallbackQuery, change: Awaitable[object]) -> bool:
    """Run a staff change; one that would leave no manager is refused with an alert."""
    try:
        await change
    except CommunityError as exc:
        if exc.code == "last_manager":
            await answer_query(query, last_manager_text(), alert=True)
            return False
        raise
    return True


def _removal_question(member: StaffMember) -> InlineKeyboardMarkup:
    confirm = InlineKeyboardButton(
        text=_("Yes, remove"),
        callback_data=StaffCb(action="rmy", staff_id=member.staff_id).pack(),
    )
    back = InlineKeyboardButton(
        text=_("⬅ Back"), callback_data=StaffCb(action="open", staff_id=member.staff_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[confirm, back]])


@router.callback_query(StaffCb.filter(F.action != "list"), flags={"staff": _card_action})
async def card_pressed(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    identity: Identity,
    community: Community,
) -> None:
    member = await admin_group.active_staff_member(session, community.id, callback_data.staff_id)
    if member is None:
        await refuse_foreign(
            query,
            session,
            identity,
            _card_action(query, {"callback_data": callback_data}),
            _("This person is no longer staff here."),
            target_type="staff",
            target_id=callback_data.staff_id,
            community_id=community.id,
        )
        return
    actor = {"actor_person_id": identity.person_id, "actor_telegram_id": identity.telegram_id}
    if callback_data.action == "rm":
        await answer_query(query)
        question = _("Remove {name} from the staff of {community}?").format(
            name=_name(member), community=html.escape(community.name)
        )
        await edit(query, question, reply_markup=_removal_question(member))
        return
    if callback_data.action == "rmy":
        if not await apply_change(
            query, remove_staff(session, community.id, member.staff_id, **actor)
        ):
            return
        await answer_query(query, _("Removed."))
        text, markup = await _staff_list(session, community)
        removed = _("{name} is no longer staff.").format(name=_name(member))
        await edit(query, removed + "\n\n" + text, reply_markup=markup)
        return
    if callback_data.action == "role":
        role = button_enum(StaffRole, callback_data.role)
        change = change_staff_role(session, community.id, member.staff_id, role, **actor)
        if not await apply_change(query, change):
            return
        await answer_query(query, _("Role changed."))
        member = replace(member, role=role)
    else:
        await answer_query(query)
    text, markup = _card(member)
    await edit(query, text, reply_markup=markup)
