"""The gate log in the admin group (``access.log``, ``access.log_export``).

1. ``/log`` with nothing, a gate name, a unit (``3栋-1201``, ``3栋/1201`` …) or a
   day (``2026-11-25``, today, yesterday): the latest :data:`LOG_LIMIT` entries,
   newest first, with an Export CSV button (an unknown word is explained).
2. Export CSV: the same filter's entries (up to :data:`access.log.MAX_ROWS`) as a
   file; the export is audited with its row count.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
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

from access.decision import Method
from access.log import MAX_ROWS, LogFilter, export_csv, query_log, resolve_log_filter
from bot.context import AppContext
from core.formatting import fmt_short_datetime, local_dt
from core.identity import Identity
from core.models import Community
from core.text_limits import fit_lines
from handlers.gate.audit import audit
from handlers.gate.keyboards import LogCsvCb
from handlers.gate.texts import method_label, reason_label
from handlers.kit import StaleButton, admin_router, group_command

router = admin_router("gate.staff_log")

group_command("log", __("Gate log: /log [gate | unit | date]"), order=41)

LOG_LIMIT = 30


@router.message(Command("log"), flags={"staff": "access.log"})
async def log_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    tz = community.timezone
    today = local_dt(app.clock.now(), tz).date()
    flt = await resolve_log_filter(session, community.id, command.args or "", today)
    if flt is None:
        await message.reply(
            _(
                "I don't know “{text}”. Use a gate name, a unit like 3栋-1201, or a date like "
                "2026-11-25 (also: today, yesterday)."
            ).format(text=escape(command.args or ""))
        )
        return
    rows = await query_log(session, community.id, tz, flt, limit=LOG_LIMIT)
    if not rows:
        await message.reply(_("No gate activity matches."))
        return
    lines = [_("Gate log (latest first):")]
    for r in rows:
        if r.reason == "door_failed":
            mark = "⚠️"
        else:
            mark = "✅" if r.granted else "⛔"
        who = escape(r.holder_name) or "—"
        unit = f" · {escape(r.unit_label)}" if r.unit_label else ""
        # A walk-in or intercom call: the resident who answered it.
        answered = r.method in (Method.WALKIN, Method.CALL) and r.person_name
        decider = f" · {escape(r.person_name)}" if answered else ""
        lines.append(
            f"{mark} {fmt_short_datetime(r.at, tz, locale)} · {escape(r.gate_name)} · "
            f"{method_label(r.method)} · {who}{unit} · {reason_label(r.reason)}{decider}"
        )
    kind, value = flt.key()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("📄 Export CSV"), callback_data=LogCsvCb(kind=kind, value=value).pack()
                )
            ]
        ]
    )
    await message.reply(fit_lines(lines), reply_markup=keyboard)


@router.callback_query(LogCsvCb.filter(), flags={"staff": "access.log_export"})
async def log_csv(
    query: CallbackQuery,
    callback_data: LogCsvCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    flt = LogFilter.from_key(callback_data.kind, callback_data.value)
    if flt is None:
        raise StaleButton(f"{callback_data.kind}:{callback_data.value}")
    rows = await query_log(session, community.id, community.timezone, flt, limit=MAX_ROWS)
    await audit(
        session,
        "access.log_export",
        community,
        identity,
        details={"filter": callback_data.kind, "value": callback_data.value, "rows": len(rows)},
    )
    await query.answer()
    stamp = local_dt(app.clock.now(), community.timezone).strftime("%Y%m%d-%H%M")
    if isinstance(query.message, Message):
        await query.message.answer_document(
            BufferedInputFile(export_csv(rows, community.timezone), f"gate-log-{stamp}.csv"),
            caption=_("Gate log: {count} rows.").format(count=len(rows)),
        )
