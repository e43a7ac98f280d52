"""“Export CSV” under an audit listing: the listed rows as a spreadsheet file.

Steps: a manager presses “Export CSV” (others are refused and audited) → the
filter is read back from the listing → the matching rows of this community, newest
first (at most ``EXPORT_MAX_ROWS``), as CSV in UTF-8 with a BOM (so spreadsheet
programs read Chinese), times in the community's zone → sent to the group as a
document saying how many rows it holds; the export is itself a row of the log.
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.audit_query import EXPORT_MAX_ROWS, audit_csv, export_audit
from core.identity import Identity
from core.models import Community
from handlers.audit.labels import action_label, person_label
from handlers.audit.view import AuditCb, community_today, listing_filter
from handlers.kit import admin_router, answer_query

router = admin_router("audit.export")


@router.callback_query(AuditCb.filter(F.action == "csv"), flags={"staff": "audit.export"})
async def export_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    flt = await listing_filter(query)
    if flt is None or not isinstance(query.message, Message):
        return
    await answer_query(query)
    rows, cut = await export_audit(
        session,
        flt,
        community_id=community.id,
        tz=community.timezone,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
    )
    data = audit_csv(rows, tz=community.timezone, label=action_label, person=person_label)
    today = community_today(app, community)
    caption = _("Audit log of {community}: {count} rows.").format(
        community=html.escape(community.name), count=len(rows)
    )
    if cut:
        caption += " " + _("Only the newest {limit}: narrow the filter for older ones.").format(
            limit=EXPORT_MAX_ROWS
        )
    document = BufferedInputFile(data, filename=f"audit-{today.isoformat()}.csv")
    await query.message.answer_document(document, caption=caption)
