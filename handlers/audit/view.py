"""``/audit``: a manager reads the community's audit log in its admin group.

Steps: /audit [person] [action] [day or days] (managers only; anyone else is
refused, and that refusal is itself a row of the log) → the newest matching rows
of this community, ten a page, under the filter as typed → ◀ ▶ turn the page (the
filter is read back from the listing's header) → “Export CSV” (see ``export``).
A filter that cannot be read is answered with what was wrong and an example.
"""

from __future__ import annotations

from datetime import date

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.audit_filter import AuditFilter, AuditFilterError, parse_filter
from core.audit_query import PAGE_SIZE, count_audit, find_audit
from core.formatting import local_dt
from core.models import Community
from handlers.audit.texts import filter_error, filter_in, page_text
from handlers.kit import admin_router, answer_query, edit, group_command, paged_keyboard

router = admin_router("audit.view")

group_command("audit", __("Audit log: /audit [person] [action] [days]"), order=7)


class AuditCb(CallbackData, prefix="au"):
    action: str  # page, csv
    page: int = 0


def community_today(app: AppContext, community: Community) -> date:
    return local_dt(app.clock.now(), community.timezone).date()


async def listing_filter(query: CallbackQuery) -> AuditFilter | None:
    """The filter of the listing whose button was pressed; None (and the presser
    is told to ask again) when the listing can no longer be read."""
    text = query.message.text if isinstance(query.message, Message) else None
    typed = filter_in(text)
    if typed is not None:
        try:
            return parse_filter(typed)
        except AuditFilterError:
            pass
    await answer_query(query, _("This list is no longer available: send /audit again."), True)
    return None


async def _page(
    session: AsyncSession,
    community: Community,
    flt: AuditFilter,
    page: int,
    *,
    locale: str,
    today: date,
) -> tuple[str, InlineKeyboardMarkup | None]:
    total = await count_audit(session, flt, community_id=community.id, tz=community.timezone)
    page = max(0, min(page, (total - 1) // PAGE_SIZE))
    rows = await find_audit(
        session,
        flt,
        community_id=community.id,
        tz=community.timezone,
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    text = page_text(community, flt, rows, total=total, page=page, locale=locale, today=today)
    if not total:
        return text, None
    export = InlineKeyboardButton(
        text=_("⬇️ Export CSV"), callback_data=AuditCb(action="csv").pack()
    )
    markup = paged_keyboard(
        [],
        page=page,
        per_page=PAGE_SIZE,
        page_callback=lambda p: AuditCb(action="page", page=p).pack(),
        extra_rows=[[export]],
        total=total,
    )
    return text, markup


@router.message(Command("audit"), flags={"staff": "audit.view"})
async def audit_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    community: Community,
    app: AppContext,
    locale: str,
) -> None:
    today = community_today(app, community)
    try:
        flt = parse_filter(command.args or "")
    except AuditFilterError as error:
        await message.reply(filter_error(error, today))
        return
    text, markup = await _page(session, community, flt, 0, locale=locale, today=today)
    await message.reply(text, reply_markup=markup)


@router.callback_query(AuditCb.filter(F.action == "page"), flags={"staff": "audit.view"})
async def turn_page(
    query: CallbackQuery,
    callback_data: AuditCb,
    session: AsyncSession,
    community: Community,
    app: AppContext,
    locale: str,
) -> None:
    flt = await listing_filter(query)
    if flt is None:
        return
    await answer_query(query)
    today = community_today(app, community)
    page = callback_data.page
    text, markup = await _page(session, community, flt, page, locale=locale, today=today)
    await edit(query, text, reply_markup=markup)
