"""The staff side of tickets, in the community's admin group.

The card's buttons (Take, Assign to…, On site, Resolved, Reject), the reject
reason, the relay of staff messages from a ticket's topic (or, in a group
without topics, from replies to the ticket's messages) to the resident —
except notes starting with ``//`` — and the ``/tickets`` and ``/report tickets``
commands. Every action checks the sender's staff role first and is audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import date
from html import escape

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.dates import format_skeleton
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import group_command
from bot.context import AppContext
from bot.notify import locale_of
from bot.sender import Delivery, deliver
from core.audit import record_audit
from core.formatting import babel_locale, fmt_duration
from core.identity import Identity
from core.models import Community, Person, StaffRole
from core.tickets import reports, service
from core.tickets.models import DeadlineKind, LinkRole, RepairCategory, Ticket, TicketKind
from handlers.staff import AdminGroup, ensure_staff
from handlers.tickets_ui import (
    CAPTION_LIMIT,
    INTERNAL_PREFIX,
    TicketAction,
    TicketAssign,
    TicketView,
    assign_keyboard,
    card_keyboard,
    category_label,
    deadline_label,
    fit_lines,
    group_locale,
    hazard_label,
    kind_label,
    load_view,
    mention,
    notify_resident,
    overdue_report,
    plain_name,
    post_in_ticket,
    resolved_keyboard,
    status_label,
    sync_group,
    ticket_line,
    ticket_ref,
    unreachable_text,
    with_header,
)

log = logging.getLogger(__name__)

router = Router(name="tickets_staff")
router.message.filter(F.chat.type.in_({"group", "supergroup"}))

group_command("tickets", __("Open tickets; /tickets overdue for the late ones"), order=20)
group_command("report", __("Monthly report: /report tickets [YYYY-MM]"), order=30)

# Who may do what. Accountants see tickets but do not work on them.
WORKERS = (StaffRole.MANAGER, StaffRole.TECHNICIAN, StaffRole.GUARD)
MANAGERS = (StaffRole.MANAGER,)


# What a staff message may carry to the resident, and what people send that cannot go.
RELAYED = {ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.VIDEO}
OTHER_CONTENT = {
    ContentType.STICKER,
    ContentType.VOICE,
    ContentType.AUDIO,
    ContentType.ANIMATION,
    ContentType.VIDEO_NOTE,
    ContentType.LOCATION,
    ContentType.CONTACT,
    ContentType.POLL,
    ContentType.VENUE,
}


class RejectReason(StatesGroup):
    reason = State()


async def _ticket_for(
    query: CallbackQuery, session: AsyncSession, community: Community, ticket_id: int
) -> Ticket | None:
    try:
        ticket = await service.get_ticket(session, ticket_id)
    except service.TicketNotFound:
        ticket = None
    if ticket is None or ticket.community_id != community.id:
        await query.answer(_("This ticket is not in this group."), show_alert=True)
        return None
    return ticket


async def _audit(
    session: AsyncSession, action: str, identity: Identity, ticket: Ticket, **details: object
) -> None:
    await record_audit(
        session,
        action,
        community_id=ticket.community_id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type="ticket",
        target_id=ticket.id,
        details={"number": ticket.number, **details},
    )


async def _refused(
    query: CallbackQuery,
    app: AppContext,
    session: AsyncSession,
    exc: service.TicketError,
    ticket_id: int,
) -> None:
    """Explain why an action did not happen, and show the card as it really is now."""
    await session.rollback()
    if isinstance(exc, service.AlreadyTaken):
        person = (
            await session.get(Person, exc.assignee_person_id) if exc.assignee_person_id else None
        )
        text = _("Already taken by {name}.").format(name=plain_name(person))
    elif isinstance(exc, service.InvalidTransition):
        text = _("Not possible: the ticket is {status}.").format(
            status=status_label(exc.status).lower()
        )
    elif isinstance(exc, service.NotAssignable):
        text = _("Only active managers, technicians and guards can be assigned.")
    elif isinstance(exc, service.TicketChanged):
        text = _("Someone changed this ticket at the same moment; the card is up to date now.")
    else:
        text = _("Not possible.")
    await query.answer(text, show_alert=True)
    ticket = await service.get_ticket(session, ticket_id)
    await sync_group(app, session, await load_view(session, ticket))


# ------------------------------------------------------------------- buttons


@router.callback_query(
    TicketAction.filter(F.action.in_({"take", "on_site", "resolve"})), AdminGroup()
)
async def work_action(
    query: CallbackQuery,
    callback_data: TicketAction,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    action = callback_data.action
    if not await ensure_staff(
        query, app, identity, community, *WORKERS, action=f"tickets.{action}"
    ):
        return
    ticket = await _ticket_for(query, session, community, callback_data.ticket_id)
    if ticket is None or identity.person_id is None:
        return
    actor = identity.person_id
    try:
        if action == "take":
            await service.take(session, app.clock, ticket, actor)
        elif action == "on_site":
            await service.mark_on_site(session, app.clock, ticket, actor)
        else:
            await service.resolve(session, app.clock, ticket, actor)
    except service.TicketError as exc:
        await _refused(query, app, session, exc, callback_data.ticket_id)
        return
    await _audit(session, f"tickets.{action}", identity, ticket)
    await session.commit()  # saved before anyone is told
    view = await load_view(session, ticket)
    answers = {
        "take": _("It's yours."),
        "on_site": _("Marked on site."),
        "resolve": _("Marked resolved."),
    }
    await query.answer(answers[action])
    await sync_group(app, session, view)
    worker = view.assignee
    if action == "take":
        await notify_resident(
            app,
            session,
            view,
            lambda: _("🙋 {name} has taken your ticket {ref} and will take care of it.").format(
                name=plain_name(worker), ref=ticket_ref(ticket)
            ),
        )
    elif action == "on_site":
        await notify_resident(
            app,
            session,
            view,
            lambda: _("📍 Staff are on site for your ticket {ref}.").format(ref=ticket_ref(ticket)),
        )
    else:
        await notify_resident(
            app,
            session,
            view,
            lambda: _(
                "✅ Staff marked your ticket {ref} as resolved. Is everything all right now?\n"
                "Rate the work from 1 to 5 to confirm, or reopen it if the problem is still there."
            ).format(ref=ticket_ref(ticket)),
            reply_markup=lambda: resolved_keyboard(ticket),
        )


@router.callback_query(TicketAction.filter(F.action.in_({"assign", "back"})), AdminGroup())
async def assign_menu(
    query: CallbackQuery,
    callback_data: TicketAction,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    roles = MANAGERS if callback_data.action == "assign" else ()
    if not await ensure_staff(query, app, identity, community, *roles, action="tickets.assign"):
        return
    ticket = await _ticket_for(query, session, community, callback_data.ticket_id)
    if ticket is None or not isinstance(query.message, Message):
        return
    await query.answer()
    with app.i18n.use_locale(group_locale(app, community)):
        if callback_data.action == "back" or not ticket.is_open:
            markup = card_keyboard(ticket)
        else:
            staff = await service.assignable_staff(session, community.id)
            markup = assign_keyboard(ticket, staff)
    await query.message.edit_reply_markup(reply_markup=markup)


@router.callback_query(TicketAssign.filter(), AdminGroup())
async def assign_to(
    query: CallbackQuery,
    callback_data: TicketAssign,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if not await ensure_staff(query, app, identity, community, *MANAGERS, action="tickets.assign"):
        return
    ticket = await _ticket_for(query, session, community, callback_data.ticket_id)
    if ticket is None or identity.person_id is None:
        return
    try:
        await service.assign(
            session, app.clock, ticket, callback_data.person_id, identity.person_id
        )
    except service.TicketError as exc:
        await _refused(query, app, session, exc, callback_data.ticket_id)
        return
    await _audit(session, "tickets.assign", identity, ticket, assignee=callback_data.person_id)
    await session.commit()  # saved before anyone is told
    view = await load_view(session, ticket)
    await query.answer(_("Assigned."))
    await sync_group(app, session, view)
    assignee = view.assignee
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _("📌 {ref} is assigned to {person}.").format(
            ref=ticket_ref(ticket), person=mention(assignee)
        ),
    )
    await notify_resident(
        app,
        session,
        view,
        lambda: _("👤 {name} is now in charge of your ticket {ref}.").format(
            name=plain_name(assignee), ref=ticket_ref(ticket)
        ),
    )


@router.callback_query(TicketAction.filter(F.action == "reject"), AdminGroup())
async def ask_reject_reason(
    query: CallbackQuery,
    callback_data: TicketAction,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    state: FSMContext,
    app: AppContext,
) -> None:
    if not await ensure_staff(query, app, identity, community, *MANAGERS, action="tickets.reject"):
        return
    ticket = await _ticket_for(query, session, community, callback_data.ticket_id)
    if ticket is None:
        return
    if not ticket.is_open:
        await query.answer(
            _("Not possible: the ticket is {status}.").format(
                status=status_label(ticket.status).lower()
            ),
            show_alert=True,
        )
        return
    await query.answer()
    await state.set_state(RejectReason.reason)
    await state.set_data({"ticket_id": ticket.id})
    await session.commit()  # before asking: the answer may come at once
    view = await load_view(session, ticket)
    person = await session.get(Person, identity.person_id) if identity.person_id else None
    await post_in_ticket(
        app,
        session,
        view,
        lambda: _(
            "{person}, send the reason for rejecting {ref} here in one message; "
            "the resident will see it. /cancel keeps the ticket open."
        ).format(person=mention(person), ref=ticket_ref(ticket)),
    )


def _in_ticket_place(message: Message, ticket: Ticket, linked: Ticket | None) -> bool:
    """Whether a group message was written in the ticket's topic / reply chain."""
    if ticket.topic_id is not None:
        return bool(message.is_topic_message) and message.message_thread_id == ticket.topic_id
    return linked is not None and linked.id == ticket.id


async def _ticket_of_message(session: AsyncSession, message: Message) -> Ticket | None:
    """The ticket a group message belongs to: by its topic, or by what it replies to."""
    if message.is_topic_message and message.message_thread_id is not None:
        ticket = await service.find_ticket_by_topic(
            session, message.chat.id, message.message_thread_id
        )
        if ticket is not None:
            return ticket
    reply = message.reply_to_message
    if reply is not None and not (
        # In a forum every topic message "replies" to the topic's first message.
        message.is_topic_message and reply.message_id == message.message_thread_id
    ):
        return await service.find_ticket_by_message(session, message.chat.id, reply.message_id)
    return None


@router.message(RejectReason.reason, Command("cancel"), AdminGroup())
async def cancel_reject(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.reply(_("OK, the ticket stays open."))


@router.message(RejectReason.reason, AdminGroup())
async def got_reject_reason(
    message: Message,
    state: FSMContext,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    data = await state.get_data()
    try:
        ticket = await service.get_ticket(session, int(data.get("ticket_id", 0)))
    except service.TicketNotFound:
        await state.clear()
        raise SkipHandler() from None
    linked = await _ticket_of_message(session, message)
    if not _in_ticket_place(message, ticket, linked):
        raise SkipHandler()  # a message elsewhere in the group is not the reason
    if not await ensure_staff(
        message, app, identity, community, *MANAGERS, action="tickets.reject"
    ):
        await state.clear()
        return
    reason = (message.text or "").strip()
    if not reason or reason.startswith("/"):
        await message.reply(_("Please send the reason as text, or /cancel."))
        return
    assert identity.person_id is not None
    try:
        await service.reject(session, app.clock, ticket, identity.person_id, reason)
    except service.InvalidTicketData:
        await message.reply(_("That reason is too long; please shorten it."))
        return
    except service.TicketError:
        await session.rollback()
        await state.clear()
        await message.reply(_("This ticket can no longer be rejected."))
        return
    await state.clear()
    await _audit(session, "tickets.reject", identity, ticket, reason=reason)
    await session.commit()  # saved before anyone is told
    view = await load_view(session, ticket)
    await sync_group(app, session, view)
    await notify_resident(
        app,
        session,
        view,
        lambda: _(
            "⛔ Your ticket {ref} was not accepted by the property office.\nReason: {reason}"
        ).format(ref=ticket_ref(ticket), reason=escape(reason)),
    )
    await message.reply(_("Rejected; the resident has the reason."))


# ------------------------------------------------------------------ commands


@router.message(Command("tickets"), AdminGroup())
async def tickets_command(
    message: Message,
    command: CommandObject,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if not await ensure_staff(message, app, identity, community, action="tickets.list"):
        return
    arg = (command.args or "").strip().lower()
    now = app.clock.now()
    with app.i18n.use_locale(group_locale(app, community)):
        if arg == "overdue":
            text = await overdue_report(app, session, community, now)
        elif not arg:
            open_ = await service.open_tickets(session, community.id)
            if not open_:
                text = _("✅ No open tickets.")
            else:
                lines = [_("<b>Open tickets: {count}</b>").format(count=len(open_))]
                for ticket in open_:
                    view = await load_view(session, ticket)
                    lines.append(f"{ticket_line(view)} — {escape(status_label(ticket.status))}")
                text = fit_lines(lines)
        else:
            text = _("Usage: /tickets — open tickets; /tickets overdue — the late ones.")
    await message.reply(text)


MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")


def parse_month(arg: str, today: date) -> date | None:
    """ "2026-11", "2026/11" or "11" (this year); None when it is not a month."""
    arg = arg.strip()
    if not arg:
        return today.replace(day=1)
    match = MONTH_RE.match(arg)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    elif arg.isdigit():
        year, month = today.year, int(arg)
    else:
        return None
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return date(year, month, 1)


def _chart_labels(title: str) -> reports.ChartLabels:
    return reports.ChartLabels(
        title=title,
        by_kind_title=_("Tickets by kind"),
        by_category_title=_("Repairs by category"),
        deadlines_title=_("Deadlines met (%)"),
        kinds={k: kind_label(k) for k in TicketKind},
        categories={c: category_label(c) for c in RepairCategory},
        deadlines={d: deadline_label(d) for d in DeadlineKind},
        no_data=_("no data"),
    )


def render_report_text(report: reports.TicketReport, community: Community) -> str:
    locale = community.locale
    month = format_skeleton("yMMMM", report.month, locale=babel_locale(locale))
    lines = [
        _("📊 <b>Tickets — {month}</b> ({community})").format(
            month=month, community=escape(community.name)
        ),
        _("Filed: {count}").format(count=report.total),
    ]
    if report.by_kind:
        lines.append(
            _("By kind: {items}").format(
                items=" · ".join(
                    f"{kind_label(k)} {report.by_kind[k]}" for k in TicketKind if report.by_kind[k]
                )
            )
        )
    if report.by_category:
        lines.append(
            _("Repairs by category: {items}").format(
                items=" · ".join(
                    f"{category_label(c)} {n}" for c, n in report.by_category.most_common()
                )
            )
        )
    if report.by_hazard:
        lines.append(
            _("Hazards: {items}").format(
                items=" · ".join(
                    f"{hazard_label(h)} {n}" for h, n in report.by_hazard.most_common()
                )
            )
        )
    if report.deadlines:
        lines += ["", _("<b>Deadlines met</b>")]
        for kind, share in report.deadlines.items():
            percent = round(100 * (share.share or 0))
            lines.append(
                _("{label}: {percent}% ({met} of {total})").format(
                    label=deadline_label(kind), percent=percent, met=share.met, total=share.decided
                )
            )
    lines.append("")
    none = _("no data")
    lines.append(
        _("Median time to on site: {value}").format(
            value=fmt_duration(report.median_to_on_site, locale)
            if report.median_to_on_site
            else none
        )
    )
    lines.append(
        _("Median time to resolved: {value}").format(
            value=fmt_duration(report.median_to_resolved, locale)
            if report.median_to_resolved
            else none
        )
    )
    if report.average_rating is not None:
        lines.append(
            _("Average rating: {rating} / 5 ({count} ratings)").format(
                rating=f"{report.average_rating:.1f}", count=report.ratings
            )
        )
    else:
        lines.append(_("Average rating: {value}").format(value=none))
    return "\n".join(lines)


@router.message(Command("report"), AdminGroup())
async def report_command(
    message: Message,
    command: CommandObject,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    parts = (command.args or "").split()
    if not parts or parts[0].lower() not in ("tickets", "ticket"):
        raise SkipHandler()  # other areas' reports (/report fees …)
    if not await ensure_staff(message, app, identity, community, action="tickets.report"):
        return
    now = app.clock.now()
    today = reports.current_month(now, community.timezone)
    month = parse_month(" ".join(parts[1:]), today)
    locale = group_locale(app, community)
    with app.i18n.use_locale(locale):
        if month is None:
            await message.reply(_("Usage: /report tickets [YYYY-MM], e.g. /report tickets 2026-11"))
            return
        report = await reports.build_report(session, community, month, now)
        text = render_report_text(report, community)
    use_cjk = reports.cjk_font_path() is not None
    await message.reply(text)
    # The figures first; the chart follows (matplotlib needs a moment, off the loop).
    with app.i18n.use_locale(locale if use_cjk or locale == "en" else "en"):
        # Without a CJK font, label the chart in English rather than with empty boxes.
        title = f"{community.name} · " if use_cjk else ""
        labels = _chart_labels(f"{title}{report.month:%Y-%m}")
    with contextlib.suppress(TelegramAPIError):
        assert app.bot is not None
        await app.bot.send_chat_action(
            message.chat.id,
            "upload_photo",
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    try:
        png = await asyncio.to_thread(reports.render_chart, report, labels, use_cjk_font=use_cjk)
    except Exception:
        log.exception("ticket chart failed")
        with app.i18n.use_locale(locale):
            await message.reply(
                _("The chart could not be drawn this time; the figures above stand.")
            )
        return
    await message.reply_photo(BufferedInputFile(png, filename=f"tickets-{report.month:%Y-%m}.png"))


# --------------------------------------------------------------------- relay


def _is_internal(message: Message) -> bool:
    body = message.text or message.caption or ""
    return body.lstrip().startswith(INTERNAL_PREFIX)


@router.message(StateFilter(None), AdminGroup(), ~F.text.startswith("/"))
async def relay_to_resident(
    message: Message,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    """A staff message in a ticket's topic (or replying to its messages) goes to the resident."""
    if message.from_user is None or message.from_user.is_bot:
        raise SkipHandler()
    ticket = await _ticket_of_message(session, message)
    if ticket is None or ticket.community_id != community.id:
        raise SkipHandler()
    if _is_internal(message) or message.forum_topic_created or message.forum_topic_edited:
        return  # internal note: stays in the group
    if not await ensure_staff(message, app, identity, community, action="tickets.reply"):
        return
    view = await load_view(session, ticket)
    if ticket.is_final:
        await message.reply(
            _("Ticket {ref} is {status}; the resident will not get this.").format(
                ref=ticket_ref(ticket), status=status_label(ticket.status).lower()
            )
        )
        return
    if message.content_type not in RELAYED:
        if message.content_type in OTHER_CONTENT:
            await message.reply(_("Only text, photos, documents and videos reach the resident."))
        return  # service messages (pins, members …) are nobody's business
    delivered = await _send_to_resident(app, view, message, identity)
    if delivered is None:
        await post_in_ticket(app, session, view, lambda: unreachable_text("no_telegram"))
        return
    if not delivered.ok:
        await post_in_ticket(app, session, view, lambda: unreachable_text(delivered.reason))
        return
    sent = delivered.result
    if isinstance(sent, Message):
        await service.link_message(
            session, ticket.id, sent.chat.id, sent.message_id, LinkRole.TO_RESIDENT
        )
    await service.link_message(
        session, ticket.id, message.chat.id, message.message_id, LinkRole.TO_RESIDENT
    )
    if await service.record_staff_answer(session, app.clock, ticket, identity.person_id):
        await sync_group(app, session, view)


async def _send_to_resident(
    app: AppContext, view: TicketView, message: Message, identity: Identity
) -> Delivery | None:
    """Copy a staff message to the resident (by file id, with the ticket number);
    None when the resident has no Telegram account at all."""
    assert app.bot is not None
    person = view.reporter
    if person is None or person.telegram_id is None:
        return None
    ticket = view.ticket
    with app.i18n.use_locale(locale_of(app, person)):
        header = _("💬 Property office ({name}) about your ticket {ref}:").format(
            name=escape(identity.full_name or _("staff")), ref=ticket_ref(ticket)
        )
    body = message.text or message.caption or ""
    caption = with_header(header, body, CAPTION_LIMIT)
    chat_id = person.telegram_id
    if message.photo:
        call = app.bot.send_photo(chat_id, message.photo[-1].file_id, caption=caption)
    elif message.document:
        call = app.bot.send_document(chat_id, message.document.file_id, caption=caption)
    elif message.video:
        call = app.bot.send_video(chat_id, message.video.file_id, caption=caption)
    else:
        call = app.bot.send_message(chat_id, with_header(header, body))
    return await deliver(call)


__all__ = ["RejectReason", "parse_month", "router"]
