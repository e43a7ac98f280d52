"""Residents of a unit and ending a residency, in the admin group.

1. ``/residents 3栋-1201`` (any staff): who lives there, with role, phone and
   lease end, and an "End residency of …" button each (also on the notice that
   someone joined with an invitation).
2. The button (managers) asks "End the residency of … ?" with "Yes, end it"
   and Cancel.
3. Yes: the residency ends at once (passes, face data and invitations revoked),
   the card says who ended it, the resident is told (or staff are, if the
   resident cannot be reached), and staff get a card to collect keys and access
   card (:mod:`.handover`). Cancel: nothing changes and the question says so.
"""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import group_command
from bot.context import AppContext
from core.formatting import fmt_date
from core.identity import Identity
from core.models import Community, StaffRole
from core.movein.office import ResidencyCard, residency_card
from core.residents import end_residency, find_unit_by_label, unit_residents
from handlers.movein.callbacks import EndCancelCb, EndCb
from handlers.movein.handover import tell_residency_ended
from handlers.movein.notices import staff_name
from handlers.movein.texts import person_link, role_label
from handlers.staff import AdminGroup, ensure_staff

router = Router(name="movein.unit_residents")

group_command("residents", __("Residents of a unit: /residents 3栋-1201"), order=30)

ENDERS = (StaffRole.MANAGER,)


@router.message(Command("residents"), AdminGroup())
async def residents_of_unit(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(message, app, identity, community, action="movein.residents"):
        return
    if not command.args:
        await message.reply(_("Which unit? For example: /residents 3栋-1201"))
        return
    unit = await find_unit_by_label(session, community.id, command.args)
    if unit is None:
        await message.reply(
            _("There is no unit {unit} in {community}.").format(
                unit=html.escape(command.args), community=html.escape(community.name)
            )
        )
        return
    residents = await unit_residents(session, unit.id)
    with app.i18n.use_locale(community.locale):
        if not residents:
            await message.reply(
                _("Nobody lives in {unit} yet.").format(unit=html.escape(unit.label))
            )
            return
        lines = [_("Residents of {unit}:").format(unit=html.escape(unit.label))]
        buttons = []
        for r in residents:
            extra = ""
            if r.end_date is not None:
                extra = " · " + _("until {date}").format(
                    date=fmt_date(r.end_date, community.locale)
                )
            lines.append(
                f"• {person_link(r.telegram_id, r.full_name)} · {role_label(r.role)} · "
                f"{html.escape(r.phone or '—')}{extra}"
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        text=_("End residency of {name}").format(name=r.full_name or "?"),
                        callback_data=EndCb(residency_id=r.residency_id).pack(),
                    )
                ]
            )
        await message.reply(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )


def _confirm_keyboard(residency_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes, end it"),
                    callback_data=EndCb(residency_id=residency_id, confirm=True).pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    text=_("✖ Cancel"),
                    callback_data=EndCancelCb(residency_id=residency_id).pack(),
                )
            ],
        ]
    )


async def _active_residency(
    query: CallbackQuery, session: AsyncSession, community: Community, residency_id: int
) -> ResidencyCard | None:
    """The residency a button names, if it is in this community and not over yet
    (otherwise the presser is told why)."""
    card = await residency_card(session, residency_id, community_id=community.id)
    if card is None:
        await query.answer(_("This resident is not in this community."), show_alert=True)
        return None
    if not card.is_active:
        await query.answer(_("This residency has already ended."), show_alert=True)
        return None
    return card


@router.callback_query(EndCb.filter(), AdminGroup())
async def end_pressed(
    query: CallbackQuery,
    callback_data: EndCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(query, app, identity, community, *ENDERS, action="residency.end"):
        return
    card = await _active_residency(query, session, community, callback_data.residency_id)
    if card is None:
        return
    person = card.person
    assert isinstance(query.message, Message)
    if not callback_data.confirm:
        await query.answer()
        with app.i18n.use_locale(community.locale):
            await query.message.reply(
                _(
                    "End the residency of {name} in {unit}? Their passes, face data and "
                    "invitations are revoked at once."
                ).format(name=html.escape(person.full_name), unit=html.escape(card.unit_label)),
                reply_markup=_confirm_keyboard(card.residency_id),
            )
        return
    assert identity.person_id is not None
    await end_residency(
        session,
        card.residency_id,
        clock=app.clock,
        reason="ended_by_staff",
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
    )
    await session.commit()
    await query.answer(_("Residency ended."))
    with app.i18n.use_locale(community.locale):
        await query.message.edit_text(
            _("Residency of {name} in {unit} ended by {staff}.").format(
                name=html.escape(person.full_name),
                unit=html.escape(card.unit_label),
                staff=html.escape(await staff_name(session, identity, query.from_user)),
            )
        )
    label = card.unit_label
    await tell_residency_ended(
        app,
        session,
        card,
        lambda: _("The property office has ended your residency in {unit}.").format(unit=label),
    )


@router.callback_query(EndCancelCb.filter(), AdminGroup())
async def end_cancelled(
    query: CallbackQuery,
    callback_data: EndCancelCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(query, app, identity, community, *ENDERS, action="residency.end"):
        return
    card = await _active_residency(query, session, community, callback_data.residency_id)
    if card is None:
        return
    await query.answer()
    assert isinstance(query.message, Message)
    with app.i18n.use_locale(community.locale):
        await query.message.edit_text(
            _("Cancelled: {name} still lives in {unit}.").format(
                name=html.escape(card.person.full_name), unit=html.escape(card.unit_label)
            )
        )
