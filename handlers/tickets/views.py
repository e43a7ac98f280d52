"""A ticket as the chats show it: the view (the row and whom it names), the topic
name, one-line listings, the resident's summary and the overdue report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from aiogram.fsm.context import FSMContext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.formatting import fmt_duration, fmt_short_datetime
from core.models import Community, Person
from core.tickets import parties, service
from core.tickets.models import Ticket, TicketStatus
from handlers.tickets.labels import (
    KIND_ICONS,
    STATUS_MARKS,
    deadline_label,
    event_label,
    kind_label,
    mention,
    status_label,
    subject_label,
    ticket_link,
    ticket_ref,
    urgency_label,
)
from handlers.tickets.sizes import fit_lines


@dataclass
class TicketView:
    """Everything needed to show a ticket: the row and the people and places it names."""

    ticket: Ticket
    community: Community
    unit_label: str | None
    reporter: Person | None
    assignee: Person | None

    @property
    def place(self) -> str:
        """Where, in one short line (unit, or common-area text, or "common area")."""
        if self.unit_label:
            return self.unit_label
        if self.ticket.location_text:
            return self.ticket.location_text
        return _("Common area")


async def find_ticket(session: AsyncSession, ticket_id: int) -> Ticket | None:
    """The ticket a button or a conversation step names; None when it is gone."""
    try:
        return await service.get_ticket(session, ticket_id)
    except service.TicketNotFound:
        return None


async def ticket_of_step(session: AsyncSession, state: FSMContext) -> Ticket | None:
    """The ticket a conversation step is about (its ``ticket_id``); None when it is gone."""
    return await find_ticket(session, int((await state.get_data()).get("ticket_id", 0)))


async def load_view(session: AsyncSession, ticket: Ticket) -> TicketView:
    named = await parties.ticket_parties(session, ticket)
    return TicketView(ticket, named.community, named.unit_label, named.reporter, named.assignee)


def topic_name(view: TicketView) -> str:
    """ "#12 Repair · 3栋-1201 · Urgent" (with a mark once done), max 128 characters."""
    ticket = view.ticket
    mark = STATUS_MARKS.get(ticket.status, "")
    place = view.place
    if len(place) > 24:
        place = place[:23] + "…"
    name = (
        f"{mark}{ticket_ref(ticket)} {kind_label(ticket.kind)} · {place} · "
        f"{urgency_label(ticket.urgency)}"
    )
    return name[:128]


def ticket_line(view: TicketView) -> str:
    """ "🔧 #12 Repair · 3栋-1201" with a link to the topic when there is one."""
    ticket = view.ticket
    ref = ticket_ref(ticket)
    link = ticket_link(ticket)
    ref_html = f'<a href="{link}">{ref}</a>' if link else ref
    kind = escape(kind_label(ticket.kind))
    return f"{KIND_ICONS[ticket.kind]} {ref_html} {kind} · {escape(view.place)}"


def locale_of_view(view: TicketView) -> str | None:
    return view.reporter.locale if view.reporter and view.reporter.locale else None


def resident_summary(view: TicketView, now: datetime) -> str:
    """The ticket as the resident sees it in "My tickets" (their locale)."""
    ticket = view.ticket
    tz = view.community.timezone
    locale = locale_of_view(view)
    lines = [
        f"{KIND_ICONS[ticket.kind]} <b>{ticket_ref(ticket)} {escape(subject_label(ticket))}</b>",
        _("Status: {status}").format(status=escape(status_label(ticket.status))),
        _("Where: {place}").format(place=escape(view.place)),
        _("Urgency: {urgency}").format(urgency=escape(urgency_label(ticket.urgency))),
        "",
        escape(ticket.description),
    ]
    if ticket.media:
        lines.append(_("Attachments: {count}").format(count=len(ticket.media)))
    if ticket.status == TicketStatus.REJECTED and ticket.reject_reason:
        lines.append(_("Reason: {reason}").format(reason=escape(ticket.reject_reason)))
    if ticket.rating is not None:
        lines.append(_("Your rating: {stars}").format(stars="⭐" * ticket.rating))
    pending = [d for d in ticket.deadlines if d.is_pending and not ticket.is_final]
    if pending:
        lines += ["", _("<b>Our promise</b>")]
        for deadline in pending:
            lines.append(
                _("{label} by {due}").format(
                    label=deadline_label(deadline.kind),
                    due=fmt_short_datetime(deadline.due_at, tz, locale),
                )
            )
    lines += ["", _("<b>History</b>")]
    for event in ticket.events:
        line = f"{fmt_short_datetime(event.at, tz, locale)} — {escape(event_label(event.type))}"
        reason = event.details.get("reason") if isinstance(event.details, dict) else None
        if reason:
            line += f": {escape(str(reason))}"
        lines.append(line)
    return fit_lines(lines)


async def overdue_report(session: AsyncSession, community: Community, now: datetime) -> str:
    """Open tickets past a deadline, most overdue first (call in the group's locale)."""
    overdue = await service.overdue_tickets(session, community.id, now)
    if not overdue:
        return _("✅ No overdue tickets.")
    lines = [_("🔴 <b>Overdue tickets: {count}</b>").format(count=len(overdue))]
    for ticket, late in overdue:
        view = await load_view(session, ticket)
        what = ", ".join(
            _("{label} overdue by {late}").format(
                label=deadline_label(d.kind), late=fmt_duration(now - d.due_at, community.locale)
            )
            for d in late
        )
        who = mention(view.assignee) if view.assignee else escape(_("not taken"))
        lines.append(f"{ticket_line(view)} — {what} — {who}")
    return fit_lines(lines)
