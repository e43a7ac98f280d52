"""A household turns calls from the gate off for a while, or back on.

1. ``/mutecalls``: each of the resident's homes with gates, whether gate calls are on
   or muted until when, and 🔕 1 hour · 🔕 8 hours · 🔔 On.
2. A button → that home's walk-ins and intercom calls from gate terminals are muted
   (terminals are told the household is not taking calls; a guard can still ring) or
   back on; the answer shows the new state. A home the presser does not live in is
   refused and audited; other data is a stale button.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_short_datetime
from core.identity import Identity
from handlers.gate.pass_steps import Home, home, homes, resident_asking
from handlers.gate.walkin_answer import not_your_home
from handlers.kit import private_command, private_router, reply

router = private_router("gate.walkin_mute")

private_command("mutecalls", __("Mute calls from the gate"), order=33)

MUTE_CHOICES = (60, 480, 0)  # minutes; 0: back on


class WalkinMuteCb(CallbackData, prefix="wm"):
    unit_id: int
    minutes: int


async def _state_line(app: AppContext, found: Home, locale: str) -> str:
    assert app.gate.walkins is not None
    until = await app.gate.walkins.muted_until(found.unit.unit_id)
    label = escape(found.unit.unit_label)
    if until is None:
        return _("🔔 {unit}: gate calls are on.").format(unit=label)
    when = fmt_short_datetime(until, found.community.timezone, locale)
    return _("🔕 {unit}: gate calls are muted until {time}.").format(unit=label, time=when)


def _buttons(found: Home) -> list[InlineKeyboardButton]:
    texts = {60: _("🔕 1 hour"), 480: _("🔕 8 hours"), 0: _("🔔 On")}
    return [
        InlineKeyboardButton(
            text=texts[minutes],
            callback_data=WalkinMuteCb(unit_id=found.unit.unit_id, minutes=minutes).pack(),
        )
        for minutes in MUTE_CHOICES
    ]


@router.message(Command("mutecalls"), StateFilter("*"))
async def mute_menu(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    if await resident_asking(message, state, identity) is None:
        return
    found = await homes(session, identity)
    lines = [_("Calls from the gate (walk-ins and the intercom) ring your home in this chat.")]
    lines += [await _state_line(app, h, locale) for h in found]
    markup: InlineKeyboardMarkup | None = InlineKeyboardMarkup(
        inline_keyboard=[_buttons(h) for h in found]
    )
    if not found:
        lines, markup = [_("Your community has no gates set up in Courtyard yet.")], None
    await reply(message, "\n".join(lines), reply_markup=markup)


@router.callback_query(WalkinMuteCb.filter(F.minutes.in_(set(MUTE_CHOICES))), StateFilter("*"))
async def mute_choice(
    query: CallbackQuery,
    callback_data: WalkinMuteCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    found = await home(session, identity, callback_data.unit_id)
    if found is None or identity.person_id is None:
        await not_your_home(query, session, identity, ("unit", callback_data.unit_id))
        return
    desk = app.gate.walkins
    assert desk is not None
    await desk.mute(found.unit.unit_id, identity.person_id, callback_data.minutes * 60 or None)
    await reply(query, await _state_line(app, found, locale))
