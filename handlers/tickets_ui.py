"""What tickets look like in chats, and how they reach the admin group and the resident.

Shared by the resident flow, the staff handlers and the scheduled jobs:
labels, the card (facts, photos, deadlines with time left, buttons), the topic
name, posting into a ticket's topic (or replying to its card in a non-forum
group), and notices to the resident — where a resident who cannot be reached
is reported in the ticket's topic instead of failing silently.

Group texts are written in the community's language, resident texts in the
resident's; callers never have to think about it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape, unescape
from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import locale_of
from bot.sender import Delivery, deliver
from core.formatting import fmt_duration, fmt_short_datetime
from core.models import Building, Community, Person, Unit
from core.tickets import service
from core.tickets.models import (
    DeadlineKind,
    HazardType,
    LinkRole,
    RepairCategory,
    Ticket,
    TicketDeadline,
    TicketEventType,
    TicketKind,
    TicketStatus,
    Urgency,
)
from handlers.staff import role_names

log = logging.getLogger(__name__)

# Forum topic icon colours Telegram allows; one per urgency so staff see it at a glance.
TOPIC_COLORS = {Urgency.NORMAL: 7322096, Urgency.URGENT: 16766590, Urgency.EMERGENCY: 16478047}
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
INTERNAL_PREFIX = "//"


class TicketAction(CallbackData, prefix="tk"):
    """A button on the staff card."""

    action: str  # take | assign | on_site | resolve | reject | back
    ticket_id: int


class TicketAssign(CallbackData, prefix="tka"):
    ticket_id: int
    person_id: int


class RateTicket(CallbackData, prefix="rt"):
    """The resident's 1–5 rating under the "resolved" notice."""

    ticket_id: int
    rating: int


class MyTicket(CallbackData, prefix="mt"):
    """The resident's buttons in "My tickets" and under notices."""

    action: str  # list | open | write | cancel | cancel_yes | reopen | rate
    ticket_id: int = 0


# ------------------------------------------------------------------- labels


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


def group_locale(app: AppContext, community: Community) -> str:
    return community.locale or app.settings.default_locale


# ----------------------------------------------------------------- context


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


async def load_view(session: AsyncSession, ticket: Ticket) -> TicketView:
    community = await session.get(Community, ticket.community_id)
    assert community is not None
    unit_label = None
    if ticket.unit_id is not None:
        row = (
            await session.execute(
                select(Building.name, Unit.number)
                .join(Unit, Unit.building_id == Building.id)
                .where(Unit.id == ticket.unit_id)
            )
        ).first()
        if row is not None:
            unit_label = f"{row[0]}-{row[1]}"
    reporter = (
        await session.get(Person, ticket.reporter_person_id) if ticket.reporter_person_id else None
    )
    assignee = (
        await session.get(Person, ticket.assignee_person_id) if ticket.assignee_person_id else None
    )
    return TicketView(ticket, community, unit_label, reporter, assignee)


# ------------------------------------------------------------------ texts


def ticket_ref(ticket: Ticket) -> str:
    return f"#{ticket.number}"


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


def deadline_lines(view: TicketView, now: datetime) -> list[str]:
    return [_deadline_line(d, view, now) for d in view.ticket.deadlines]


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
        lines += ["", _("<b>Deadlines</b>"), *deadline_lines(view, now)]
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


def assign_keyboard(ticket: Ticket, staff: Sequence[tuple[Person, Any]]) -> InlineKeyboardMarkup:
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


def locale_of_view(view: TicketView) -> str | None:
    return view.reporter.locale if view.reporter and view.reporter.locale else None


# ------------------------------------------------------------- admin group


def placement_kwargs(ticket: Ticket) -> dict[str, Any]:
    """Where a new message about the ticket goes: its topic, or a reply to its card."""
    if ticket.topic_id is not None:
        return {"message_thread_id": ticket.topic_id}
    if ticket.card_message_id is not None:
        return {
            "reply_parameters": ReplyParameters(
                message_id=ticket.card_message_id, allow_sending_without_reply=True
            )
        }
    return {}


async def post_in_ticket(
    app: AppContext,
    session: AsyncSession,
    view: TicketView,
    build: Callable[[], str],
    *,
    role: LinkRole = LinkRole.GROUP_NOTICE,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """A bot message in the ticket's topic (in the group's language); None when the
    ticket is not in a group yet or Telegram refused."""
    assert app.bot is not None
    ticket = view.ticket
    if ticket.admin_chat_id is None:
        return None
    with app.i18n.use_locale(group_locale(app, view.community)):
        text = build()
    try:
        sent = await app.bot.send_message(
            ticket.admin_chat_id, text, reply_markup=reply_markup, **placement_kwargs(ticket)
        )
    except TelegramAPIError:
        log.warning("could not post in the ticket topic", extra={"fields": {"ticket": ticket.id}})
        return None
    await service.link_message(session, ticket.id, sent.chat.id, sent.message_id, role)
    return sent


async def refresh_card(app: AppContext, session: AsyncSession, view: TicketView) -> None:
    """Edit the card in place with the current facts, deadlines and buttons."""
    assert app.bot is not None
    ticket = view.ticket
    if ticket.admin_chat_id is None or ticket.card_message_id is None:
        return
    with app.i18n.use_locale(group_locale(app, view.community)):
        text = render_card(view, app.clock.now(), forum=ticket.topic_id is not None)
        markup = card_keyboard(ticket)
    try:
        await app.bot.edit_message_text(
            text=text,
            chat_id=ticket.admin_chat_id,
            message_id=ticket.card_message_id,
            reply_markup=markup,
        )
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning(
                "could not update the ticket card",
                extra={"fields": {"ticket": ticket.id, "error": str(exc)}},
            )
    except TelegramAPIError:
        log.warning("could not update the ticket card", extra={"fields": {"ticket": ticket.id}})


async def rename_topic(app: AppContext, view: TicketView) -> None:
    """Keep the topic name in step with the status (✅ once closed …)."""
    assert app.bot is not None
    ticket = view.ticket
    if ticket.admin_chat_id is None or ticket.topic_id is None:
        return
    with app.i18n.use_locale(group_locale(app, view.community)):
        name = topic_name(view)
    try:
        await app.bot.edit_forum_topic(ticket.admin_chat_id, ticket.topic_id, name=name)
    except TelegramAPIError as exc:
        if "not_modified" not in str(exc).lower() and "not modified" not in str(exc).lower():
            log.info("could not rename topic", extra={"fields": {"ticket": ticket.id}})


async def sync_group(app: AppContext, session: AsyncSession, view: TicketView) -> None:
    await refresh_card(app, session, view)
    await rename_topic(app, view)


async def publish_ticket(app: AppContext, session: AsyncSession, view: TicketView) -> bool:
    """Post a new ticket to the admin group: its topic, card, photos and location pin.

    Idempotent: a topic that already exists is reused, so the publisher job can
    retry a ticket whose card failed to post. Returns True once the card is up.
    """
    assert app.bot is not None
    ticket = view.ticket
    community = view.community
    if community.admin_chat_id is None:
        return False
    if ticket.card_message_id is not None:
        return True
    chat_id = community.admin_chat_id
    if ticket.admin_chat_id != chat_id:
        ticket.admin_chat_id = chat_id
        ticket.topic_id = None
    with app.i18n.use_locale(group_locale(app, community)):
        if community.admin_chat_is_forum and ticket.topic_id is None:
            try:
                topic = await app.bot.create_forum_topic(
                    chat_id, topic_name(view), icon_color=TOPIC_COLORS[ticket.urgency]
                )
            except TelegramBadRequest as exc:
                # Not a forum (any more), or no right to manage topics: fall back
                # to one message per ticket rather than losing the ticket.
                log.warning(
                    "could not create a forum topic; posting without one",
                    extra={"fields": {"ticket": ticket.id, "error": str(exc)}},
                )
            else:
                ticket.topic_id = topic.message_thread_id
                await session.flush()
        forum = ticket.topic_id is not None
        text = render_card(view, app.clock.now(), forum=forum)
        markup = card_keyboard(ticket)
    try:
        card = await app.bot.send_message(
            chat_id, text, reply_markup=markup, message_thread_id=ticket.topic_id
        )
    except TelegramAPIError as exc:
        log.warning(
            "could not post the ticket card",
            extra={"fields": {"ticket": ticket.id, "error": str(exc)}},
        )
        return False
    await service.set_admin_placement(
        session, ticket, chat_id=chat_id, topic_id=ticket.topic_id, card_message_id=card.message_id
    )
    # The card is up: staff may answer it at once, so where it is must be known before
    # the photos go up (each a Telegram upload; on SQLite this also frees the write lock).
    await session.commit()
    await _post_media(app, session, ticket)
    return True


async def _post_media(app: AppContext, session: AsyncSession, ticket: Ticket) -> None:
    assert app.bot is not None and ticket.admin_chat_id is not None
    placement = placement_kwargs(ticket)
    sent: list[Message] = []
    try:
        photos = [m["file_id"] for m in ticket.media if m.get("type") == "photo"]
        videos = [m["file_id"] for m in ticket.media if m.get("type") == "video"]
        if len(photos) > 1:
            sent += await app.bot.send_media_group(
                ticket.admin_chat_id,
                [InputMediaPhoto(media=file_id) for file_id in photos],
                **placement,
            )
        elif photos:
            sent.append(await app.bot.send_photo(ticket.admin_chat_id, photos[0], **placement))
        for video in videos:
            sent.append(await app.bot.send_video(ticket.admin_chat_id, video, **placement))
        if ticket.latitude is not None and ticket.longitude is not None:
            sent.append(
                await app.bot.send_location(
                    ticket.admin_chat_id, ticket.latitude, ticket.longitude, **placement
                )
            )
    except TelegramAPIError as exc:
        log.warning(
            "could not post the ticket's media",
            extra={"fields": {"ticket": ticket.id, "error": str(exc)}},
        )
    for message in sent:
        await service.link_message(
            session, ticket.id, message.chat.id, message.message_id, LinkRole.GROUP_MEDIA
        )


# ---------------------------------------------------------------- resident


def unreachable_text(reason: str | None) -> str:
    if reason == "blocked":
        why = _("they have blocked the bot")
    elif reason == "deactivated":
        why = _("their Telegram account was deleted")
    elif reason == "no_telegram":
        why = _("they have no Telegram account")
    else:
        why = _("Telegram refused the message")
    return "⚠️ " + _("Not delivered to the resident: {why}.").format(why=why)


async def notify_resident(
    app: AppContext,
    session: AsyncSession,
    view: TicketView,
    build: Callable[[], str],
    *,
    reply_markup: Callable[[], InlineKeyboardMarkup] | None = None,
    report_failure: bool = True,
) -> Delivery:
    """A bot message to the reporter in their language, linked to the ticket so a reply
    lands in the topic. If they cannot be reached, the topic says so."""
    assert app.bot is not None
    person = view.reporter
    if person is None or person.telegram_id is None:
        delivery = Delivery(ok=False, reason="no_telegram")
    else:
        with app.i18n.use_locale(locale_of(app, person)):
            text = build()
            markup = reply_markup() if reply_markup is not None else None
            delivery = await deliver(
                app.bot.send_message(person.telegram_id, text, reply_markup=markup)
            )
    if delivery.ok and isinstance(delivery.result, Message):
        await service.link_message(
            session,
            view.ticket.id,
            delivery.result.chat.id,
            delivery.result.message_id,
            LinkRole.NOTICE,
        )
    elif not delivery.ok and report_failure:
        await post_in_ticket(app, session, view, lambda: unreachable_text(delivery.reason))
    return delivery


def resolved_keyboard(ticket: Ticket) -> InlineKeyboardMarkup:
    stars = [
        InlineKeyboardButton(
            text=f"{n}⭐",
            callback_data=RateTicket(ticket_id=ticket.id, rating=n).pack(),
        )
        for n in range(1, 6)
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            stars,
            [
                InlineKeyboardButton(
                    text=_("🔁 Not fixed — reopen"),
                    callback_data=MyTicket(action="reopen", ticket_id=ticket.id).pack(),
                )
            ],
        ]
    )


# ---------------------------------------------------------------- listings


def ticket_link(ticket: Ticket) -> str | None:
    """A t.me link to the ticket's topic or card (supergroups only have such links)."""
    chat = str(ticket.admin_chat_id or "")
    if not chat.startswith("-100"):
        return None
    target = ticket.topic_id or ticket.card_message_id
    return f"https://t.me/c/{chat[4:]}/{target}" if target else None


def ticket_line(view: TicketView) -> str:
    """ "🔧 #12 Repair · 3栋-1201" with a link to the topic when there is one."""
    ticket = view.ticket
    ref = ticket_ref(ticket)
    link = ticket_link(ticket)
    ref_html = f'<a href="{link}">{ref}</a>' if link else ref
    kind = escape(kind_label(ticket.kind))
    return f"{KIND_ICONS[ticket.kind]} {ref_html} {kind} · {escape(view.place)}"


async def overdue_report(
    app: AppContext, session: AsyncSession, community: Community, now: datetime
) -> str:
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


# ------------------------------------------------------------ message sizes

TEXT_LIMIT = 4096  # Telegram counts visible characters, after HTML parsing
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]+>")


def visible_length(html_text: str) -> int:
    return len(unescape(_TAG.sub("", html_text)))


def with_header(header_html: str, body: str, limit: int = TEXT_LIMIT) -> str:
    """An HTML header line and a user's raw text below it, cut to fit Telegram's limit
    (cutting the raw text, never the escaped HTML, so no entity is broken)."""
    room = limit - visible_length(header_html) - 1
    if len(body) > room:
        body = body[: max(room - 1, 0)] + "…"
    return f"{header_html}\n{escape(body)}" if body else header_html


def fit_lines(lines: Sequence[str], limit: int = TEXT_LIMIT) -> str:
    """Join HTML lines, dropping whole lines at the end if they do not fit."""
    kept: list[str] = []
    used = 0
    for line in lines:
        size = visible_length(line) + 1
        if used + size > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        used += size
    return "\n".join(kept)
