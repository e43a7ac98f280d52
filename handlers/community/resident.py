"""Notices on the resident's side (private chat).

Steps: "📢 Notices" in the home menu (or /notices) → the current notices, newest
first, one button each → a notice, shown again in full. Under every notice,
"✅ Got it" records that the resident has read it (staff see it in the figures)
and the button goes.
"""

from __future__ import annotations

import contextlib

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.languages import words_for
from core.community.models import Notice, Phase
from core.community.notices import current_notices, mark_read
from core.identity import Identity
from core.models import Community
from handlers.community.callbacks import MyNotice, NoticeAck
from handlers.community.jobs import draft_of
from handlers.community.sending import put_notice
from handlers.community.views import KIND_ICONS
from handlers.kit import (
    answer_query,
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    reply,
    residents,
)

router = private_router("community.resident")

menu_entry("notices", __("📢 Notices"), residents, order=15)
private_command("notices", __("Notices from the property office"), order=15)


@router.callback_query(F.data == "menu:notices", StateFilter("*"))
@router.message(Command("notices"), StateFilter("*"))
async def list_notices(
    event: Message | CallbackQuery, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    if identity.person_id is None or not identity.is_resident:
        await reply(event, _("Notices are for residents of a community."))
        return
    notices = await current_notices(session, identity.person_id, app.clock.now())
    if not notices:
        await reply(event, _("There are no current notices. 🌤"))
        return
    rows = [
        [
            InlineKeyboardButton(
                text=f"{KIND_ICONS[n.kind]} {_title(n)}"[:60],
                callback_data=MyNotice(notice_id=n.id).pack(),
            )
        ]
        for n in notices
    ]
    await reply(
        event,
        _("📢 Current notices — press one to read it:"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


def _title(notice: Notice) -> str:
    locale = get_i18n().current_locale
    return words_for(locale, notice.title, "", notice.alt_locale, notice.alt_title, "-")[0]


@router.callback_query(MyNotice.filter())
async def open_notice(
    query: CallbackQuery,
    callback_data: MyNotice,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    notices = {
        n.id: n
        for n in await current_notices(session, identity.person_id or 0, app.clock.now(), 20)
    }
    notice = notices.get(callback_data.notice_id)
    if notice is None or query.bot is None:
        await answer_query(query, _("This notice is no longer current."), alert=True)
        return
    await answer_query(query)
    community = await session.get(Community, notice.community_id)
    assert community is not None
    await put_notice(
        query.bot, query.from_user.id, draft_of(notice), community.timezone, notice.id, Phase.NOTICE
    )


@router.callback_query(NoticeAck.filter(F.notice_id > 0))
async def got_it(
    query: CallbackQuery,
    callback_data: NoticeAck,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if identity.person_id is None or not await mark_read(
        session, callback_data.notice_id, identity.person_id, app.clock.now()
    ):
        await refuse_foreign(
            query,
            session,
            identity,
            "notices.view",
            _("This notice was not sent to you."),
            target_type="notice",
            target_id=callback_data.notice_id,
        )
        return
    await answer_query(query, _("Thank you — noted. ✅"))
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # too old to edit: the answer is enough
            await query.message.edit_reply_markup(reply_markup=None)
