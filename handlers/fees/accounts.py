"""The community accounts, for residents (and staff) in a private chat.

Steps:
1. /accounts or the "Community accounts" menu button — this half-year so far:
   income billed and collected, spending, the maintenance fund (a message, a
   chart and a PDF);
2. the button below it switches to the previous half-year and back.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.fees.accounts import build_statement, half_year_bounds, render_statement
from core.fees.common import local_today
from core.fees.my_fees import community_of
from core.identity import Identity
from handlers.fees.texts import translations
from handlers.kit import menu_entry, private_command, private_router, residents

router = private_router("fees.accounts")
log = logging.getLogger(__name__)

menu_entry("accounts", __("Community accounts"), residents, order=60)
private_command("accounts", __("Community accounts: income, spending, fund"), order=60)


class AccountsCb(CallbackData, prefix="facc"):
    community_id: int
    half: int  # 0: this half-year so far, 1: the previous half-year


@router.message(Command("accounts"), StateFilter("*"))
async def accounts_command(
    message: Message, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    await _send_accounts(message, session, app, identity, locale, community_id=None, half=0)


@router.callback_query(F.data == "menu:accounts", StateFilter("*"))
async def accounts_menu(
    query: CallbackQuery, session: AsyncSession, app: AppContext, identity: Identity, locale: str
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _send_accounts(
            query.message, session, app, identity, locale, community_id=None, half=0
        )


@router.callback_query(AccountsCb.filter(), StateFilter("*"))
async def accounts_other(
    query: CallbackQuery,
    callback_data: AccountsCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    locale: str,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _send_accounts(
            query.message,
            session,
            app,
            identity,
            locale,
            community_id=callback_data.community_id,
            half=callback_data.half,
        )


async def _send_accounts(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    locale: str,
    *,
    community_id: int | None,
    half: int,
) -> None:
    """The statement of the current (or previous) half-year: message, chart, PDF."""
    ids = sorted(
        {u.community_id for u in identity.units} | {s.community_id for s in identity.staff}
    )
    if community_id is not None and community_id in ids:
        ids = [community_id]
    if not ids:
        await message.answer(_("The accounts are open to the residents of a community."))
        return
    community = await community_of(session, ids[0])
    today = local_today(community, app.clock.now())
    start, end = half_year_bounds(today, previous=bool(half))
    data = await build_statement(session, community, start, end, as_of=app.clock.now())
    rendered = render_statement(data, locale=locale, translations=translations(app, locale))
    other = InlineKeyboardButton(
        text=_("Previous half-year") if not half else _("This half-year so far"),
        callback_data=AccountsCb(community_id=community.id, half=0 if half else 1).pack(),
    )
    await message.answer(
        rendered.text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[other]])
    )
    png = await asyncio.to_thread(rendered.chart)
    if png is not None:
        await message.answer_photo(BufferedInputFile(png, filename="accounts.png"))
    try:
        pdf = await asyncio.to_thread(rendered.pdf)
    except Exception:  # the figures above are complete; the PDF is a copy of them
        log.exception("accounts PDF failed", extra={"fields": {"community": community.id}})
        await message.answer(
            _("Sorry, the PDF of these accounts could not be made; the figures above are complete.")
        )
        return
    if pdf is not None:
        await message.answer_document(BufferedInputFile(pdf, filename=rendered.filename))
