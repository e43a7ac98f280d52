"""What a notice looks like: to a resident (the preview staff see is the same
text), and its figures to staff. Built in the reader's current locale."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.community.languages import words_for
from core.community.models import Audience, NoticeKind, Phase
from core.community.notices import NoticeDraft, NoticeFigures
from core.formatting import fmt_short_datetime
from handlers.community.callbacks import NoticeAck
from handlers.community.callbacks import NoticeFigures as FiguresCb

KIND_ICONS = {
    NoticeKind.GENERAL: "📢",
    NoticeKind.OUTAGE: "🚰",
    NoticeKind.EMERGENCY: "🚨",
    NoticeKind.VOTE_OPEN: "🗳",
    NoticeKind.VOTE_REMINDER: "🗳",
    NoticeKind.VOTE_RESULT: "🗳",
    NoticeKind.EVENT: "🎉",
}


def kind_label(kind: NoticeKind) -> str:
    return {
        NoticeKind.GENERAL: _("Notice"),
        NoticeKind.OUTAGE: _("Outage"),
        NoticeKind.EMERGENCY: _("Emergency"),
        NoticeKind.EVENT: _("Event"),
    }.get(kind, _("Owners' vote"))


def audience_label(audience: Audience, buildings: list[str]) -> str:
    who = {
        Audience.ALL: _("every resident"),
        Audience.OWNERS: _("owners only"),
        Audience.TENANTS: _("tenants only"),
        Audience.UNITS: _("the residents"),
    }[audience]
    if buildings:
        return _("{who} of {buildings}").format(who=who, buildings="、".join(buildings))
    return _("{who} of the whole community").format(who=who)


def _window(starts_at: datetime | None, ends_at: datetime | None, tz: str) -> str:
    if starts_at is None or ends_at is None:
        return ""
    locale = get_i18n().current_locale
    return _("From {start} to {end}").format(
        start=fmt_short_datetime(starts_at, tz, locale), end=fmt_short_datetime(ends_at, tz, locale)
    )


def notice_text(draft: NoticeDraft, tz: str, phase: Phase = Phase.NOTICE) -> str:
    """The resident's message (HTML): heading, title, window, body."""
    icon = KIND_ICONS[draft.kind]
    window = _window(draft.starts_at, draft.ends_at, tz)
    words = words_for(
        get_i18n().current_locale,
        draft.title,
        draft.body,
        draft.alt_locale,
        draft.alt_title,
        draft.alt_body,
    )
    title = escape(words[0])
    if phase == Phase.REMINDER:
        return _("⏰ Reminder: {title} starts soon.\n{window}").format(title=title, window=window)
    if phase == Phase.ENDED:
        return _("✅ Over: {title} has ended. Thank you for your patience.").format(title=title)
    heading = _("Outage extended") if draft.extended else kind_label(draft.kind)
    lines = [f"{icon} <b>{escape(heading)}: {title}</b>"]
    if window:
        lines.append(f"🕒 {window}")
    lines.append("")
    lines.append(escape(words[1]))
    return "\n".join(lines)


def ack_keyboard(notice_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✅ Got it"), callback_data=NoticeAck(notice_id=notice_id).pack()
                )
            ]
        ]
    )


def figures_keyboard(notice_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("📊 Delivery by building"),
                    callback_data=FiguresCb(notice_id=notice_id).pack(),
                )
            ]
        ]
    )


def reason_label(reason: str) -> str:
    return {
        "blocked": _("blocked the bot"),
        "deactivated": _("account deleted"),
        "chat_not_found": _("chat not found"),
        "no_telegram": _("not on Telegram"),
        "gave_up": _("failed repeatedly"),
    }.get(reason, _("not delivered"))


def figures_text(notice_id: int, title: str, figures: NoticeFigures) -> str:
    total = figures.total
    lines = [
        _("📊 Notice #{id} “{title}”").format(id=notice_id, title=escape(title)),
        _("Delivered {delivered} of {total} · read {read} · failed {failed}").format(
            delivered=total.delivered, total=total.total, read=total.read, failed=total.failed
        ),
    ]
    if figures.waiting:
        lines.append(_("Still sending: {count}").format(count=figures.waiting))
    for b in figures.buildings:
        lines.append(
            _("• {building}: delivered {delivered}/{total}, read {read}, failed {failed}").format(
                building=escape(b.name or _("no building")),
                delivered=b.delivered,
                total=b.total,
                read=b.read,
                failed=b.failed,
            )
        )
    if figures.failures:
        lines.append(_("Not reached:"))
        shown = figures.failures[:30]
        erased = _("(erased)")
        lines.extend(
            f"– {escape(name or erased)}: {reason_label(reason)}" for name, reason in shown
        )
        if len(figures.failures) > len(shown):
            lines.append(_("…and {count} more").format(count=len(figures.failures) - len(shown)))
    return "\n".join(lines)
