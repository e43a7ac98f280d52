"""Residents of a unit and ending a residency, in the admin group.

1. ``/residents 3栋-1201`` (any staff): who lives there, with role, phone and
   lease end, and an "End residency of …" button each (also on the notice that
   someone joined with an invitation).
2. The button (managers) asks "End the residency of … ?" with "Yes, end it"
   and Cancel.
3. Yes: the residency ends at once (passes, face data and invitations revoked),
   the question says who ended it, the resident is told (or staff are, if the
   resident cannot be reached), and staff get a card to collect keys and access
   card (:mod:`.handover`). Cancel: nothing changes, and the question says so.
"""

from __future__ import annotations

import html

from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.sync.admin import DEFAULT_SYNC_INTERVAL_S, community_has_agents
from bot.context import AppContext
from core.formatting import fmt_date
from core.identity import Identity
from core.models import Community
from core.movein.office import ResidencyCard, residency_card
from core.residents import end_residency, unit_residents
from core.units import find_unit_by_label
from handlers.kit import (
    admin_router,
    answer_query,
    commit_before_send,
    edit,
    group_command,
    refuse_foreign,
    reply,
)
from handlers.movein.callbacks import EndCancelCb, EndCb
from handlers.movein.handover import tell_residency_ended
from handlers.movein.notices import staff_name
from handlers.movein.texts import person_link, role_label

router = admin_router("movein.unit_residents")

group_command("residents", __("Residents of a unit: /residents 3栋-1201"), order=30)


@router.message(Command("residents"), flags={"staff": "movein.residents"})
async def residents_of_unit(
    message: Message, command: CommandObject, session: AsyncSession, community: Community
) -> None:
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
    if not residents:
        await message.reply(_("Nobody lives in {unit} yet.").format(unit=html.escape(unit.label)))
        return
    lines = [_("Residents of {unit}:").format(unit=html.escape(unit.label))]
    buttons = []
    for r in residents:
        extra = ""
        if r.end_date is not None:
            extra = " · " + _("until {date}").format(date=fmt_date(r.end_date, community.locale))
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
    query: CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    community: Community,
    residency_id: int,
) -> ResidencyCard | None:
    """The residency a button names, if it is in this community and not over yet
    (otherwise the presser is told why)."""
    card = await residency_card(session, residency_id, community_id=community.id)
    if card is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "residency.end",
            _("This resident is not in this community."),
            target_type="residency",
            target_id=residency_id,
            community_id=community.id,
        )
        return None
    if not card.is_active:
        await reply(query, _("This residency has already ended."), alert=True)
        return None
    return card


@router.callback_query(EndCb.filter(), flags={"staff": "residency.end"})
async def end_pressed(
    query: CallbackQuery,
    callback_data: EndCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    card = await _active_residency(query, session, identity, community, callback_data.residency_id)
    if card is None:
        return
    person = card.person
    assert isinstance(query.message, Message)
    if not callback_data.confirm:
        await answer_query(query)
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
    # The resident is told, and staff get the keys card: a "returned" logged on it
    # must not outlive a residency end that rolled back.
    await commit_before_send(session)
    await answer_query(query, _("Residency ended."))
    text = _("Residency of {name} in {unit} ended by {staff}.").format(
        name=html.escape(person.full_name),
        unit=html.escape(card.unit_label),
        staff=html.escape(await staff_name(session, identity, query.from_user)),
    )
    if await community_has_agents(session, community.id):
        # Decision 0025: offline gate agents hear of it at their next sync.
        text += "\n" + _(
            "Gates that keep working offline stop accepting their gate QR and passes "
            "within {seconds} seconds; one cut off from the server right now, when it "
            "reconnects."
        ).format(seconds=DEFAULT_SYNC_INTERVAL_S)
    await query.message.edit_text(text)
    label = card.unit_label
    await tell_residency_ended(
        app,
        session,
        card,
        lambda: _("The property office has ended your residency in {unit}.").format(unit=label),
    )


@router.callback_query(EndCancelCb.filter(), flags={"staff": "residency.end"})
async def end_cancelled(
    query: CallbackQuery,
    callback_data: EndCancelCb,
    session: AsyncSession,
    identity: Identity,
    community: Community,
) -> None:
    card = await _active_residency(query, session, identity, community, callback_data.residency_id)
    if card is not None:
        await answer_query(query)
        await edit(
            query,
            _("Cancelled: {name} still lives in {unit}.").format(
                name=html.escape(card.person.full_name), unit=html.escape(card.unit_label)
            ),
        )
