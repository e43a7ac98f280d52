"""The staff card: facts, photos, deadlines with time left, and its buttons.

Rendered in the admin group's language (callers switch to it); edited in place
by :func:`handlers.tickets.group.refresh_card` whenever the ticket changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from core.formatting import fmt_duration, fmt_short_datetime
from core.models import Person, Staff
from core.tickets.models import Ticket, TicketDeadline, TicketStatus
from handlers.kit import role_names
from handlers.tickets.callbacks import TicketAction, TicketAssign
from handlers.tickets.labels import (
    KIND_ICONS,
    URGENCY_ICONS,
    deadline_label,
    mention,
    status_label,
    subject_label,
    ticket_ref,
    urgency_label,
)
from handlers.tickets.views import TicketView


def _deadline_line(deadline: TicketDeadline, view: TicketView, now: datetime) -> str:
    tz = view.community.timezone
    locale = view.community.locale
    label = deadline_label(deadline.kind)
    due = fmt_short_datetime(deadline.due_at, tz, locale)
    if deadline.voided_at is not None:
        return "▫️ " + _("{label}: no longer needed").format(label=label)
    if deadline.met_at is not None:
        met = fmt_short_datetime(deadline.met_at, tz, locale)
        if deadline.met_at <= deadline.due_at:
            return "✅ " + _("{label}: by {due} — done {met}").format(label=label, due=due, met=met)
        return "☑️ " + _("{label}: by {due} — done late, {met}").format(
            label=label, due=due, met=met
        )
    if deadline.due_at <= now:
        return "🔴 " + _("{label}: by {due} — overdue by {late}").format(
            label=label, due=due, late=fmt_duration(now - deadline.due_at, locale)
        )
    return "⏳ " + _("{label}: by {due} — {left} left").format(
        label=label, due=due, left=fmt_duration(deadline.due_at - now, locale)
    )


def render_card(view: TicketView, now: datetime, *, forum: bool) -> str:
    """The staff card: facts, photos, deadlines with time left. Call in the group's locale."""
    ticket = view.ticket
    tz = view.community.timezone
    locale = view.community.locale
    head = f"{KIND_ICONS[ticket.kind]} <b>{ticket_ref(ticket)} {escape(subject_label(ticket))}</b>"
    urgency = f"{URGENCY_ICONS[ticket.urgency]} {escape(urgency_label(ticket.urgency))}".strip()
    lines = [f"{head}\n{urgency}", ""]
    status = escape(status_label(ticket.status))
    if ticket.assignee_person_id is not None and not ticket.is_final:
        status = _("{status} — {person}").format(status=status, person=mention(view.assignee))
    lines.append(_("<b>Status:</b> {status}").format(status=status))
    if view.unit_label:
        lines.append(_("<b>Where:</b> unit {unit}").format(unit=escape(view.unit_label)))
    else:
        where = escape(ticket.location_text) if ticket.location_text else _("common area")
        lines.append(_("<b>Where:</b> {place}").format(place=where))
    if ticket.latitude is not None:
        lines.append(_("📍 Location pin below."))
    reporter = view.reporter
    who = escape(reporter.full_name if reporter and reporter.full_name else _("resident"))
    if reporter is not None and reporter.phone:
        who += f" · {escape(reporter.phone)}"
    lines.append(_("<b>Reported by:</b> {who}").format(who=who))
    lines.append(
        _("<b>Filed:</b> {when}").format(when=fmt_short_datetime(ticket.created_at, tz, locale))
    )
    if ticket.reopen_count:
        lines.append(_("<b>Reopened:</b> {count}×").format(count=ticket.reopen_count))
    lines += ["", _("<b>Description</b>"), escape(ticket.description)]
    photos = sum(1 for m in ticket.media if m.get("type") == "photo")
    videos = sum(1 for m in ticket.media if m.get("type") == "video")
    if photos:
        lines.append(_("📷 Photos: {count} (below)").format(count=photos))
    if videos:
        lines.append(_("🎬 Video below"))
    if ticket.deadlines:
        lines += ["", _("<b>Deadlines</b>")]
        lines += [_deadline_line(d, view, now) for d in ticket.deadlines]
    if ticket.status == TicketStatus.REJECTED:
        lines += ["", _("<b>Rejected:</b> {reason}").format(reason=escape(ticket.reject_reason))]
    if ticket.rating is not None:
        stars = "⭐" * ticket.rating
        lines += [
            "",
            _("<b>Rating:</b> {stars} ({rating}/5)").format(stars=stars, rating=ticket.rating),
        ]
        if ticket.rating_comment:
            lines.append(f"“{escape(ticket.rating_comment)}”")
    lines.append("")
    if not ticket.is_final:
        if forum:
            lines.append(
                _(
                    "<i>Messages in this topic go to the resident. "
                    "Start with // for an internal note.</i>"
                )
            )
        else:
            lines.append(
                _(
                    "<i>Reply to this message to write to the resident. "
                    "Start with // for an internal note.</i>"
                )
            )
    lines.append(_("<i>Updated {time}</i>").format(time=fmt_short_datetime(now, tz, locale)))
    return "\n".join(lines)


def card_keyboard(ticket: Ticket) -> InlineKeyboardMarkup | None:
    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=TicketAction(action=action, ticket_id=ticket.id).pack()
        )

    take = button(_("🙋 Take"), "take")
    assign = button(_("👤 Assign to…"), "assign")
    on_site = button(_("📍 On site"), "on_site")
    resolved = button(_("✅ Resolved"), "resolve")
    reject = button(_("⛔ Reject"), "reject")
    if ticket.status == TicketStatus.NEW:
        rows = [[take, assign], [on_site, resolved], [reject]]
    elif ticket.status == TicketStatus.TAKEN:
        rows = [[assign, on_site], [resolved, reject]]
    elif ticket.status == TicketStatus.ON_SITE:
        rows = [[assign, resolved], [reject]]
    else:
        return None
    return InlineKeyboardMarkup(inline_keyboard=rows)


def assign_keyboard(ticket: Ticket, staff: Sequence[tuple[Person, Staff]]) -> InlineKeyboardMarkup:
    names = role_names()
    rows = [
        [
            InlineKeyboardButton(
                text=f"{'✔️ ' if person.id == ticket.assignee_person_id else ''}"
                f"{person.full_name or person.id} ({names[member.role]})",
                callback_data=TicketAssign(ticket_id=ticket.id, person_id=person.id).pack(),
            )
        ]
        for person, member in staff
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("« Back"),
                callback_data=TicketAction(action="back", ticket_id=ticket.id).pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)
