"""Owners add and remove family members (``menu:family``). No staff review: the
owner answers for their household.

1. "Add family member" (owners only); for which home, if they own several.
2. The unit's family members, with:
   - "Invite someone with Telegram": a one-person invitation link and code to
     forward;
   - "Add someone without Telegram": their full name (a child, an elderly
     parent), registered at once;
   - "Remove {name}": a confirmation, then their passes and access are revoked.
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_short_datetime
from core.identity import Identity, UnitMembership
from core.invitations import (
    InvitationError,
    create_family_invitation,
    deep_link_payload,
    format_code,
)
from core.models import ResidencyRole
from core.movein.homes import get_community
from core.movein.office import family_member_card
from core.residents import (
    ResidentsError,
    add_family_member,
    load_unit,
    owner_residency,
    remove_family_member,
    unit_residents,
)
from handlers.kit import menu_entry, menu_keyboard, private_router, refuse_foreign, reply
from handlers.movein.callbacks import FamCb, Family
from handlers.movein.views import chat, current_locale, person_id, read_name, show

router = private_router("movein.family")


def _owner_units(identity: Identity) -> list[UnitMembership]:
    return [u for u in identity.units if u.role == ResidencyRole.OWNER]


def _is_owner(identity: Identity) -> bool:
    return bool(_owner_units(identity))


def _not_owner(query: CallbackQuery, callback_data: FamCb, identity: Identity) -> bool:
    """A filter: the unit a button names is not one the presser owns."""
    return callback_data.id not in {u.unit_id for u in _owner_units(identity)}


menu_entry("family", __("👪 Add family member"), _is_owner, order=70)


def _button(text: str, action: str, id_: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FamCb(action=action, id=id_).pack())


@router.callback_query(F.data == "menu:family", StateFilter("*"))
async def family_menu(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    units = _owner_units(identity)
    if not units:
        await reply(query, _("Only owners can add family members."), alert=True)
        return
    if len(units) == 1:
        await _family_of_unit(query, session, units[0].unit_id, new_message=True)
        return
    await reply(
        query,
        _("For which home?"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_button(u.unit_label, "u", u.unit_id)] for u in units]
        ),
    )


@router.callback_query(FamCb.filter(F.action.in_({"u", "add"})), _not_owner, StateFilter("*"))
async def not_owner(query: CallbackQuery) -> None:
    await reply(query, _("Only owners can add family members."), alert=True)


@router.callback_query(FamCb.filter(F.action == "u"), StateFilter("*"))
async def family_unit(query: CallbackQuery, callback_data: FamCb, session: AsyncSession) -> None:
    await _family_of_unit(query, session, callback_data.id, new_message=False)


async def _family_of_unit(
    query: CallbackQuery, session: AsyncSession, unit_id: int, *, new_message: bool
) -> None:
    unit = await load_unit(session, unit_id)
    members = [r for r in await unit_residents(session, unit_id) if r.role == ResidencyRole.FAMILY]
    lines = [_("Family members in {unit}:").format(unit=html.escape(unit.label))]
    lines += [f"• {html.escape(m.full_name or '?')}" for m in members] or [_("none yet")]
    rows = [
        [_button(_("🔗 Invite someone with Telegram"), "link", unit_id)],
        [_button(_("👶 Add someone without Telegram"), "add", unit_id)],
    ]
    rows += [
        [_button(_("Remove {name}").format(name=m.full_name or "?"), "rm", m.residency_id)]
        for m in members
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    if new_message:
        await reply(query, "\n".join(lines), reply_markup=markup)
    else:
        await show(query, "\n".join(lines), markup)


@router.callback_query(FamCb.filter(F.action == "link"), StateFilter("*"))
async def family_link(
    query: CallbackQuery,
    callback_data: FamCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    try:
        owner = await owner_residency(session, person_id(identity), callback_data.id)
        invitation, code = await create_family_invitation(
            session, owner, secret_key=app.secret_key, clock=app.clock
        )
    except (ResidentsError, InvitationError):
        await reply(query, _("Only owners can add family members."), alert=True)
        return
    unit = await load_unit(session, callback_data.id)
    community = await get_community(session, unit.community_id)
    assert community is not None
    link = app.deep_link(deep_link_payload(code))
    await reply(
        query,
        _("Forward the next message to your family member. The link works once, for one person."),
    )
    await reply(
        chat(query),
        _(
            "You are invited to join {unit} at {community} on our community service desk.\n"
            "Open: {link}\nOr send the code {code} to @{bot}.\nValid until {expires}."
        ).format(
            unit=html.escape(unit.label),
            community=html.escape(community.name),
            link=link,
            code=format_code(code),
            bot=app.bot_username,
            expires=fmt_short_datetime(invitation.expires_at, community.timezone, current_locale()),
        ),
    )


@router.callback_query(FamCb.filter(F.action == "add"), StateFilter("*"))
async def family_add(query: CallbackQuery, callback_data: FamCb, state: FSMContext) -> None:
    await state.set_state(Family.name)
    await state.set_data({"unit_id": callback_data.id})
    await reply(
        query, _("The family member's full name (for example a child or an elderly parent):")
    )


@router.message(Family.name, F.text)
async def family_name(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    name = await read_name(
        message, _("Please type the name with letters only (2 to 60 characters).")
    )
    if name is None:
        return
    data = await state.get_data()
    try:
        residency = await add_family_member(
            session, person_id(identity), int(data["unit_id"]), name, clock=app.clock
        )
    except ResidentsError:
        await state.clear()
        await reply(message, _("Only owners can add family members."))
        return
    await state.clear()
    unit = await load_unit(session, residency.unit_id)
    await reply(
        message,
        _("{name} is now registered as a family member in {unit}.").format(
            name=html.escape(name), unit=html.escape(unit.label)
        ),
        reply_markup=menu_keyboard(identity),
    )


@router.message(Family.name)
async def family_name_not_text(message: Message) -> None:
    await reply(message, _("Please type the family member's name."))


@router.callback_query(FamCb.filter(F.action.in_({"rm", "rmy"})), StateFilter("*"))
async def family_remove(
    query: CallbackQuery,
    callback_data: FamCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    member = await family_member_card(session, person_id(identity), callback_data.id)
    if member is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "residency.family_remove",
            _("Only owners can remove family members."),
            target_type="residency",
            target_id=callback_data.id,
        )
        return
    name = member.person.full_name
    if callback_data.action == "rm":
        await show(
            query,
            _("Remove {name} from your home? Their passes and access are revoked.").format(
                name=html.escape(name)
            ),
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [_button(_("Yes, remove"), "rmy", member.residency_id)],
                    [_button(_("⬅ Back"), "u", member.unit_id)],
                ]
            ),
        )
        return
    try:
        await remove_family_member(
            session, person_id(identity), member.residency_id, clock=app.clock
        )
    except ResidentsError:
        await reply(query, _("Only owners can remove family members."), alert=True)
        return
    await show(query, _("{name} was removed from your home.").format(name=html.escape(name)))
