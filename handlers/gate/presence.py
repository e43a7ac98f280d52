"""Who is inside now, for staff in the admin group (``access.presence``).

1. ``/inside``: everyone recorded entering with a pass and not recorded leaving —
   visitors, workers, couriers and daily help — with the home they came to and since
   when, in the community's time zone; longest-staying first, :data:`PAGE_SIZE` a page.
2. ◀ / ▶ turn the page (the list is read again, so it is always current).
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.presence import inside_now
from core.formatting import fmt_short_datetime
from core.models import Community
from handlers.gate.keyboards import PresenceCb
from handlers.gate.texts import fmt_end, kind_label
from handlers.kit import admin_router, answer_query, edit, group_command, paged_keyboard

router = admin_router("gate.presence")

group_command("inside", __("Who is inside now (visitors, workers, couriers, daily help)"), order=42)

PAGE_SIZE = 10


async def _page(
    session: AsyncSession, community: Community, page: int, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows, total = await inside_now(session, community.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    if total and not rows:  # fewer people inside than when the page was shown
        page = (total - 1) // PAGE_SIZE
        rows, total = await inside_now(
            session, community.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    if not total:
        return _("Nobody with a pass is recorded inside now."), None
    tz = community.timezone
    lines = [_("Inside now: {n}").format(n=total)]
    for r in rows:
        who = escape(r.holder_name) if r.holder_name else "—"
        lines.append(
            _("{kind} {who} · {unit} · since {since} (pass until {until})").format(
                kind=kind_label(r.kind),
                who=who,
                unit=escape(r.unit_label),
                since=fmt_short_datetime(r.since, tz, locale),
                until=fmt_end(r.valid_until, tz, locale),
            )
        )
    markup = paged_keyboard(
        [],
        page=page,
        per_page=PAGE_SIZE,
        page_callback=lambda p: PresenceCb(page=p).pack(),
        total=total,
    )
    return "\n".join(lines), markup if markup.inline_keyboard else None


@router.message(Command("inside"), flags={"staff": "access.presence"})
async def inside_command(
    message: Message, session: AsyncSession, community: Community, locale: str
) -> None:
    text, markup = await _page(session, community, 0, locale)
    await message.reply(text, reply_markup=markup)


@router.callback_query(PresenceCb.filter(), flags={"staff": "access.presence"})
async def turn_page(
    query: CallbackQuery,
    callback_data: PresenceCb,
    session: AsyncSession,
    community: Community,
    locale: str,
) -> None:
    await answer_query(query)
    text, markup = await _page(session, community, max(0, callback_data.page), locale)
    await edit(query, text, reply_markup=markup)
