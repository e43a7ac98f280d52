"""Notices on the staff side after sending (admin group, any staff: ``notices.view``).

Steps: ``/notices`` → the latest notices with their state (scheduled, sending,
sent) and one button each → a notice's figures: delivered, read and failed per
building, and who could not be reached and why. The same button comes with the
report the delivery job posts when a notice is sent.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.models import NoticeStatus
from core.community.notices import NoticeError, get_notice, notice_figures, recent_notices
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.models import Community
from handlers.community.callbacks import NoticeFigures
from handlers.community.views import KIND_ICONS, figures_text
from handlers.kit import admin_router, group_command, refuse_foreign, reply

router = admin_router("community.staff_status")

group_command("notices", __("Notices sent and their delivery"), order=51)


def _status(status: NoticeStatus) -> str:
    return {
        NoticeStatus.SCHEDULED: _("scheduled"),
        NoticeStatus.SENDING: _("sending"),
        NoticeStatus.SENT: _("sent"),
    }[status]


@router.message(Command("notices"), flags={"staff": "notices.view"})
async def list_sent(
    message: Message, session: AsyncSession, community: Community, locale: str
) -> None:
    notices = await recent_notices(session, community.id)
    if not notices:
        await message.answer(_("No notices yet. Send one with /notice."))
        return
    lines = [_("📢 Latest notices:")]
    rows = []
    for n in notices:
        when = fmt_short_datetime(n.send_at, community.timezone, locale)
        lines.append(
            f"#{n.id} {KIND_ICONS[n.kind]} {escape(n.title)} · {when} · {_status(n.status)}"
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=f"📊 #{n.id}", callback_data=NoticeFigures(notice_id=n.id).pack()
                )
            ]
        )
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(NoticeFigures.filter(), flags={"staff": "notices.view"})
async def show_figures(
    query: CallbackQuery,
    callback_data: NoticeFigures,
    session: AsyncSession,
    community: Community,
    identity: Identity,
) -> None:
    try:
        notice = await get_notice(session, callback_data.notice_id, community.id)
    except NoticeError:
        await refuse_foreign(
            query,
            session,
            identity,
            "notices.view",
            _("That notice is not of this community."),
            target_type="notice",
            target_id=callback_data.notice_id,
            community_id=community.id,
        )
        return
    figures = await notice_figures(session, notice.id)
    await reply(query, figures_text(notice.id, notice.title, figures))
