"""The pass as people see it: the card lines, the QR image, what the host gets
when a pass is ready (code, QR, share link), the summaries confirmed before a pass
is made, and a worker request's card in the admin group (closed with its outcome).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from html import escape
from typing import Any
from urllib.parse import quote

import segno
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo
from access.models import Pass, PassKind, WorkerCategory
from access.passes import IssuedPass, get_pass, local_day_bounds
from bot.context import AppContext
from bot.sender import Delivery, deliver
from core.models import Community
from handlers.gate.keyboards import WorkerDecisionCb, keyboard
from handlers.gate.texts import (
    category_label,
    fmt_days,
    fmt_hours,
    fmt_window,
    format_code,
    gate_names,
    help_role_labels,
)
from handlers.kit import commit_before_send, edit


def qr_png(token: str) -> bytes:
    """The QR code a reader scans: the pass token only, nothing else."""
    buffer = io.BytesIO()
    segno.make(token, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def qr_file(token: str, pass_id: int) -> BufferedInputFile:
    return BufferedInputFile(qr_png(token), f"pass-{pass_id}.png")


def worker_who(name: str, company: str | None) -> str:
    who = escape(name)
    if company:
        who += f" · {escape(company)}"
    return who


def pass_lines(
    row: Pass, community: Community, gates: list[GateInfo], locale: str | None
) -> list[str]:
    tz = community.timezone
    lines: list[str] = []
    if row.kind == PassKind.DAILY_HELP:
        lines.append(
            _("Daily help: {name} ({role})").format(
                name=escape(row.holder_name), role=help_role_labels().get(row.purpose, "")
            )
        )
        lines.append(fmt_hours(row.daily_start_min, row.daily_end_min, row.weekdays))
    elif row.kind == PassKind.WORKER:
        lines.append(_("Worker: {who}").format(who=worker_who(row.holder_name, row.company)))
        if row.category:
            lines.append(_("Work: {category}").format(category=category_label(row.category.value)))
        lines.append(
            _("Days: {days}").format(days=fmt_days(row.valid_from, row.valid_until, tz, locale))
        )
        lines.append(fmt_hours(row.daily_start_min, row.daily_end_min, row.weekdays))
    else:
        if row.holder_name:
            lines.append(_("Visitor: {name}").format(name=escape(row.holder_name)))
        purpose = (
            category_label(WorkerCategory.DELIVERY.value)
            if row.kind == PassKind.DELIVERY
            else escape(row.purpose)
        )
        lines.append(_("Purpose: {purpose}").format(purpose=purpose))
        lines.append(
            _("Valid: {window}").format(
                window=fmt_window(row.valid_from, row.valid_until, tz, locale)
            )
        )
        lines.append(_("Entries: multiple") if row.max_uses is None else _("Entries: single"))
    if row.car_plate:
        lines.append(_("Car: {plate}").format(plate=escape(row.car_plate)))
    lines.append(_("Gates: {gates}").format(gates=gate_names(gates, row.gate_ids)))
    return lines


def visitor_summary(data: dict[str, Any], tz: str, locale: str | None) -> list[str]:
    """The visitor pass about to be made, from the invite conversation's data."""
    lines = [_("Home: {unit}").format(unit=escape(data["unit_label"]))]
    if data.get("holder_name"):
        lines.append(_("Visitor: {name}").format(name=escape(data["holder_name"])))
    lines.append(_("Purpose: {purpose}").format(purpose=escape(data["purpose"])))
    start = datetime.fromisoformat(data["valid_from"])
    end = datetime.fromisoformat(data["valid_until"])
    lines.append(_("Valid: {window}").format(window=fmt_window(start, end, tz, locale)))
    lines.append(_("Entries: multiple") if data.get("multi") else _("Entries: single"))
    if data.get("plate"):
        lines.append(_("Car: {plate}").format(plate=escape(data["plate"])))
    return lines


def help_summary(data: dict[str, Any], tz: str, locale: str | None) -> list[str]:
    """The daily-help pass about to be made, from the conversation's data."""
    return [
        _("Home: {unit}").format(unit=escape(data["unit_label"])),
        _("Daily help: {name} ({role})").format(
            name=escape(data["help_name"]), role=help_role_labels().get(data["role"], "")
        ),
        fmt_hours(data["daily_start_min"], data["daily_end_min"], data["weekdays"]),
    ]


def worker_summary(data: dict[str, Any], tz: str, locale: str | None) -> list[str]:
    """The worker pass request about to be sent, from the conversation's data."""
    first, last = date.fromisoformat(data["first_day"]), date.fromisoformat(data["last_day"])
    start, end = local_day_bounds(first, last, tz)
    return [
        _("Home: {unit}").format(unit=escape(data["unit_label"])),
        _("Worker: {who}").format(who=worker_who(data["worker_name"], data.get("company"))),
        _("Phone: {phone}").format(phone=escape(data["worker_phone"])),
        _("Work: {category}").format(category=category_label(data["category"])),
        _("Days: {days}").format(days=fmt_days(start, end, tz, locale)),
        fmt_hours(data["daily_start_min"], data["daily_end_min"], data["weekdays"]),
    ]


def share_url(link: str, text: str) -> str:
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


async def send_pass_to_host(
    app: AppContext,
    chat_id: int,
    locale: str | None,
    row: Pass,
    issued: IssuedPass,
    community: Community,
    gates: list[GateInfo],
) -> Delivery:
    """The code, the QR and the share link, to the host who will forward them."""
    assert app.bot is not None
    link = app.deep_link(issued.share_payload)
    with app.i18n.use_locale(locale or app.settings.default_locale):
        titles = {
            PassKind.WORKER: _("👷 Worker pass #{id} is approved."),
            PassKind.DELIVERY: _("📦 Delivery pass #{id} is ready."),
            PassKind.DAILY_HELP: _("🧹 Daily-help pass #{id} is ready."),
        }
        title = titles.get(row.kind, _("🎫 Visitor pass #{id} is ready.")).format(id=row.id)
        lines = [title, *pass_lines(row, community, gates, locale)]
        lines.append(_("Code: <code>{code}</code>").format(code=format_code(issued.code)))
        lines.append("")
        lines.append(
            _(
                "Forward this link to them — it shows the code, the QR code, the address "
                "and how to enter, with no sign-up:\n{link}"
            ).format(link=link)
        )
        if row.kind == PassKind.DAILY_HELP:
            lines.append(
                _("To share it with another household, or to suspend it for yours: /myhelp")
            )
        share = _("Your pass for {community}").format(community=community.name)
        markup = keyboard(
            [[InlineKeyboardButton(text=_("📤 Share the pass"), url=share_url(link, share))]]
        )
        text_result = await deliver(
            app.bot.send_message(chat_id, "\n".join(lines), reply_markup=markup)
        )
        if not text_result.ok:
            return text_result
        caption = _("QR code of pass #{id} — hold it to the gate's reader.").format(id=row.id)
        return await deliver(
            app.bot.send_photo(chat_id, qr_file(issued.token, row.id), caption=caption)
        )


async def hand_over(
    query: CallbackQuery,
    session: AsyncSession,
    app: AppContext,
    locale: str | None,
    issued: IssuedPass,
    community: Community,
    gates: list[GateInfo],
) -> None:
    """A pass just made, to the host: committed first (the host forwards the code and
    link at once, and the gate and the link must find the pass), the step's buttons
    gone, then the code, QR and share link."""
    row = await get_pass(session, issued.pass_id)
    assert row is not None
    await commit_before_send(session)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(_("Pass created."))
    await send_pass_to_host(app, query.from_user.id, locale, row, issued, community, gates)


async def close_card(query: CallbackQuery, outcome: str) -> None:
    """An alert or request card in the admin group, once acted on: its text stays,
    with the outcome (who did what) under it, and its buttons go."""
    card = query.message.html_text if isinstance(query.message, Message) else ""
    await edit(query, card + "\n\n" + outcome)


def worker_request_card(
    row: Pass, community: Community, gates: list[GateInfo], host_name: str, unit_label: str
) -> tuple[Callable[[], str], Callable[[], InlineKeyboardMarkup]]:
    """The approval request in the admin group (built in the group's language)."""
    tz = community.timezone

    def text() -> str:
        locale = community.locale
        lines = [
            _("👷 Worker pass request #{id}").format(id=row.id),
            _("From: {host} ({unit})").format(host=escape(host_name), unit=escape(unit_label)),
            _("Worker: {who}").format(who=worker_who(row.holder_name, row.company)),
            _("Phone: {phone}").format(phone=escape(row.holder_phone or "")),
            _("Work: {category}").format(
                category=category_label(row.category.value if row.category else None)
            ),
            _("Days: {days}").format(days=fmt_days(row.valid_from, row.valid_until, tz, locale)),
            fmt_hours(row.daily_start_min, row.daily_end_min, row.weekdays),
            _("Gates: {gates}").format(gates=gate_names(gates, row.gate_ids)),
        ]
        return "\n".join(lines)

    def buttons() -> InlineKeyboardMarkup:
        return keyboard(
            [
                [
                    InlineKeyboardButton(
                        text=_("✅ Approve"),
                        callback_data=WorkerDecisionCb(action="approve", pass_id=row.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text=_("⛔ Reject"),
                        callback_data=WorkerDecisionCb(action="reject", pass_id=row.id).pack(),
                    ),
                ]
            ]
        )

    return text, buttons
