"""How tickets are named in chats: icons, labels, references, people and links.

Labels are gettext calls: call them in the locale of whoever reads the text.
"""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from core.models import Community, Person
from core.tickets.models import (
    DeadlineKind,
    HazardType,
    RepairCategory,
    Ticket,
    TicketEventType,
    TicketKind,
    TicketStatus,
    Urgency,
)

KIND_ICONS = {
    TicketKind.REPAIR: "🔧",
    TicketKind.COMPLAINT: "📣",
    TicketKind.SUGGESTION: "💡",
    TicketKind.HAZARD: "⚠️",
}
URGENCY_ICONS = {Urgency.NORMAL: "", Urgency.URGENT: "🟠", Urgency.EMERGENCY: "🔴"}
STATUS_MARKS = {
    TicketStatus.RESOLVED: "☑️",
    TicketStatus.CLOSED: "✅",
    TicketStatus.REJECTED: "⛔",
    TicketStatus.CANCELLED: "✖️",
}


def kind_label(kind: TicketKind) -> str:
    return {
        TicketKind.REPAIR: _("Repair"),
        TicketKind.COMPLAINT: _("Complaint"),
        TicketKind.SUGGESTION: _("Suggestion"),
        TicketKind.HAZARD: _("Hazard report"),
    }[kind]


def category_label(category: RepairCategory) -> str:
    return {
        RepairCategory.WATER: _("Water"),
        RepairCategory.ELECTRICITY: _("Electricity"),
        RepairCategory.GAS: _("Gas"),
        RepairCategory.ELEVATOR: _("Elevator"),
        RepairCategory.DOOR_ACCESS: _("Door / access"),
        RepairCategory.COMMON_AREA: _("Common area"),
        RepairCategory.OTHER: _("Other"),
    }[category]


def hazard_label(hazard: HazardType) -> str:
    return {
        HazardType.FIRE_LANE: _("Blocked fire lane"),
        HazardType.THROWN_OBJECT: _("Object thrown from height"),
        HazardType.GARBAGE_SORTING: _("Garbage not sorted"),
        HazardType.SAFETY_RISK: _("Safety risk"),
    }[hazard]


def urgency_label(urgency: Urgency) -> str:
    return {
        Urgency.NORMAL: _("Normal"),
        Urgency.URGENT: _("Urgent"),
        Urgency.EMERGENCY: _("Emergency"),
    }[urgency]


def status_label(status: TicketStatus) -> str:
    return {
        TicketStatus.NEW: _("New"),
        TicketStatus.TAKEN: _("In progress"),
        TicketStatus.ON_SITE: _("Staff on site"),
        TicketStatus.RESOLVED: _("Resolved, waiting for confirmation"),
        TicketStatus.CLOSED: _("Closed"),
        TicketStatus.REJECTED: _("Rejected"),
        TicketStatus.CANCELLED: _("Cancelled"),
    }[status]


def deadline_label(kind: DeadlineKind) -> str:
    return {
        DeadlineKind.ACKNOWLEDGE: _("Taken"),
        DeadlineKind.ON_SITE: _("On site"),
        DeadlineKind.FIRST_RESPONSE: _("First answer"),
        DeadlineKind.RESOLVE: _("Finished"),
    }[kind]


def event_label(kind: TicketEventType) -> str:
    return {
        TicketEventType.FILED: _("Filed"),
        TicketEventType.TAKEN: _("Taken by staff"),
        TicketEventType.ASSIGNED: _("Assigned"),
        TicketEventType.ON_SITE: _("Staff on site"),
        TicketEventType.RESOLVED: _("Marked resolved"),
        TicketEventType.REJECTED: _("Rejected"),
        TicketEventType.CONFIRMED: _("Confirmed by you"),
        TicketEventType.REOPENED: _("Reopened"),
        TicketEventType.CANCELLED: _("Cancelled"),
        TicketEventType.AUTO_CLOSED: _("Closed automatically"),
        TicketEventType.ESCALATED: _("Escalated to the managers"),
    }[kind]


def subject_label(ticket: Ticket) -> str:
    """ "Repair · Water", "Hazard report · Blocked fire lane", "Complaint"."""
    parts = [kind_label(ticket.kind)]
    if ticket.category is not None:
        parts.append(category_label(ticket.category))
    if ticket.hazard is not None:
        parts.append(hazard_label(ticket.hazard))
    return " · ".join(parts)


def mention(person: Person | None) -> str:
    if person is None:
        return escape(_("nobody"))
    name = escape(person.full_name or _("staff member"))
    if person.telegram_id is None:
        return name
    return f'<a href="tg://user?id={person.telegram_id}">{name}</a>'


def plain_name(person: Person | None) -> str:
    return escape((person.full_name if person else "") or _("staff member"))


def duty_phone(app: AppContext, community: Community) -> str:
    return community.duty_phone or app.settings.duty_phone


def ticket_ref(ticket: Ticket) -> str:
    return f"#{ticket.number}"


def ticket_link(ticket: Ticket) -> str | None:
    """A t.me link to the ticket's topic or card (supergroups only have such links)."""
    chat = str(ticket.admin_chat_id or "")
    if not chat.startswith("-100"):
        return None
    target = ticket.topic_id or ticket.card_message_id
    return f"https://t.me/c/{chat[4:]}/{target}" if target else None
