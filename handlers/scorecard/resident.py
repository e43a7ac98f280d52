"""The office's scorecard for residents, in a private chat.

Steps:
1. "📊 Office scorecard" in the home menu (or /office_scorecard) — last month's
   figures of the office's duties: the message, a chart and a PDF, in the
   resident's language (the same the monthly publication sends);
2. someone who lives in no community is told the scorecard is for residents.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.scorecard.publish import last_month_scorecard
from handlers.kit import menu_entry, private_command, private_router, reply, residents
from handlers.scorecard.sending import render_for_residents

MENU_ORDER = 62  # after the community accounts
menu_entry("scorecard", __("📊 Office scorecard"), residents, order=MENU_ORDER)
private_command("office_scorecard", __("How the property office did last month"), order=MENU_ORDER)
router = private_router("scorecard.resident")


@router.message(Command("office_scorecard"), StateFilter("*"))
@router.callback_query(F.data == "menu:scorecard", StateFilter("*"))
async def resident_scorecard(
    event: Message | CallbackQuery,
    app: AppContext,
    session: AsyncSession,
    identity: Identity,
    locale: str,
) -> None:
    if not identity.units:
        await reply(event, _("The office's scorecard is for residents of a community."))
        return
    community_id = min(u.community_id for u in identity.units)
    community, card = await last_month_scorecard(session, community_id, app.clock.now())
    rendered = await render_for_residents(card, community.name, locale)
    await reply(event, rendered.text)
    message = event.message if isinstance(event, CallbackQuery) else event
    if not isinstance(message, Message):
        return
    await message.answer_photo(BufferedInputFile(rendered.chart, "scorecard.png"))
    if rendered.pdf is not None:
        await message.answer_document(BufferedInputFile(rendered.pdf, rendered.filename))
