"""The resident's profile: ``/profile`` and the "My profile" menu button.

1. Name and phone.
2. Current homes with role, since when and lease end, each with "Move out of …"
   (:mod:`.move_out`).
3. Open applications with their status, each with "Withdraw application …".
4. The communities the person is staff of, with the role.
5. "Add another home" (the move-in flow) and "My data and privacy"
   (:mod:`.privacy`).
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.formatting import fmt_date
from core.identity import Identity
from core.models import ResidencyStatus, StaffRole
from core.residents import personal_data
from handlers.kit import menu_entry, private_command, private_router, reply, role_names
from handlers.movein.texts import role_label, status_label
from handlers.movein.views import current_locale
from handlers.profile.views import button

router = private_router("profile.home")

menu_entry(
    "profile",
    __("👤 My profile"),
    lambda i: i.is_resident or bool(i.pending_units) or i.is_staff,
    order=90,
)
private_command("profile", __("My profile: homes and roles"), order=80)


async def _profile(session: AsyncSession, identity: Identity) -> tuple[str, InlineKeyboardMarkup]:
    assert identity.person_id is not None
    data = await personal_data(session, identity.person_id)
    locale = current_locale()
    lines = [
        _("👤 <b>{name}</b>").format(name=html.escape(data.full_name or _("(no name)"))),
        _("Phone: {phone}").format(phone=html.escape(data.phone or "—")),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    active = [r for r in data.residencies if r.status == ResidencyStatus.ACTIVE]
    if active:
        lines.append("")
        lines.append(_("Your homes:"))
    for r in active:
        since = fmt_date(r.start_date, locale) if r.start_date else "—"
        line = _("• {unit}, {community} — {role}, since {since}").format(
            unit=html.escape(r.unit_label),
            community=html.escape(r.community_name),
            role=role_label(r.role),
            since=since,
        )
        if r.end_date is not None:
            line += " " + _("(until {date})").format(date=fmt_date(r.end_date, locale))
        lines.append(line)
        rows.append(
            [button(_("🚪 Move out of {unit}").format(unit=r.unit_label), "out", r.residency_id)]
        )
    waiting = [a for a in data.applications if a.status.is_open]
    if waiting:
        lines.append("")
        lines.append(_("Your applications:"))
    for a in waiting:
        lines.append(
            _("• #{id} {unit}, {community} — {status}").format(
                id=a.application_id,
                unit=html.escape(a.unit_label),
                community=html.escape(a.community_name),
                status=status_label(a.status),
            )
        )
        rows.append(
            [
                button(
                    _("Withdraw application for {unit}").format(unit=a.unit_label),
                    "wd",
                    a.application_id,
                )
            ]
        )
    if data.staff_of:
        names = role_names()
        lines.append("")
        lines.append(_("Staff:"))
        lines += [f"• {html.escape(c)} — {names[StaffRole(r)]}" for c, r in data.staff_of]
    rows.append([InlineKeyboardButton(text=_("➕ Add another home"), callback_data="menu:movein")])
    rows.append([button(_("🔒 My data and privacy"), "privacy")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("profile"), StateFilter("*"))
@router.callback_query(F.data == "menu:profile", StateFilter("*"))
async def profile(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    text, markup = await _profile(session, identity)
    await reply(event, text, reply_markup=markup)
