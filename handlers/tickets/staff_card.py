"""The card's buttons in the admin group: Take, Assign to…, On site, Resolved.

Steps: a worker presses Take / On site / Resolved → the ticket changes (or the
presser learns why not, and the card is brought up to date) → audited → the card
and topic name are updated → the resident is told (after "Resolved", with the
stars to confirm and "reopen"). A manager presses "Assign to…" → the card's
buttons become the list of assignable staff (« Back restores them) → a name →
assigned, announced in the topic, the resident told. Reject is :mod:`.staff_reject`.
Who may press what is ``core.permissions`` (``tickets.*``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.tickets import parties, service
from core.tickets.models import Ticket
from handlers.kit import admin_router, answer_query, commit_before_send
from handlers.tickets.callbacks import TicketAction, TicketAssign
from handlers.tickets.card import assign_keyboard, card_keyboard
from handlers.tickets.group import post_in_ticket, sync_group
from handlers.tickets.labels import mention, plain_name, status_label, ticket_ref
from handlers.tickets.notices import notify_resident, resolved_keyboard
from handlers.tickets.staff_shared import ButtonTicket, audit
from handlers.tickets.views import load_view

router = admin_router("tickets.staff_card")


def _work_action(event: object, data: dict[str, Any]) -> str:
    return f"tickets.{data['callback_data'].action}"


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
        person = await parties.load_person(session, exc.assignee_person_id)
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
    await answer_query(query, text, alert=True)
    ticket = await service.get_ticket(session, ticket_id)
    await sync_group(app, await load_view(session, ticket))


@router.callback_query(
    TicketAction.filter(F.action.in_({"take", "on_site", "resolve"})),
    ButtonTicket(),
    flags={"staff": _work_action},
)
async def work_action(
    query: CallbackQuery,
    callback_data: TicketAction,
    ticket: Ticket,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    action = callback_data.action
    if identity.person_id is None:
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
    await audit(session, f"tickets.{action}", identity, ticket)
    # The card and the resident's notice carry buttons for the new status (the next
    # step; the stars after "Resolved"): a press on them must find it saved.
    await commit_before_send(session)
    view = await load_view(session, ticket)
    answers = {
        "take": _("It's yours."),
        "on_site": _("Marked on site."),
        "resolve": _("Marked resolved."),
    }
    await answer_query(query, answers[action])
    await sync_group(app, view)
    ref, worker = ticket_ref(ticket), view.assignee
    # Built in the resident's language (notify_resident calls them there).
    notices: dict[str, Callable[[], str]] = {
        "take": lambda: _("🙋 {name} has taken your ticket {ref} and will take care of it.").format(
            name=plain_name(worker), ref=ref
        ),
        "on_site": lambda: _("📍 Staff are on site for your ticket {ref}.").format(ref=ref),
        "resolve": lambda: _(
            "✅ Staff marked your ticket {ref} as resolved. Is everything all right now?\n"
            "Rate the work from 1 to 5 to confirm, or reopen it if the problem is still there."
        ).format(ref=ref),
    }
    stars = (lambda: resolved_keyboard(ticket)) if action == "resolve" else None
    await notify_resident(app, session, view, notices[action], reply_markup=stars)


async def _show_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    await answer_query(query)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=markup)


@router.callback_query(
    TicketAction.filter(F.action == "assign"), ButtonTicket(), flags={"staff": "tickets.assign"}
)
async def assign_menu(query: CallbackQuery, ticket: Ticket, session: AsyncSession) -> None:
    if not ticket.is_open:
        await _show_buttons(query, card_keyboard(ticket))
        return
    staff = await service.assignable_staff(session, ticket.community_id)
    await _show_buttons(query, assign_keyboard(ticket, staff))


@router.callback_query(
    TicketAction.filter(F.action == "back"), ButtonTicket(), flags={"staff": "tickets.view"}
)
async def back_to_card(query: CallbackQuery, ticket: Ticket) -> None:
    await _show_buttons(query, card_keyboard(ticket))


@router.callback_query(TicketAssign.filter(), ButtonTicket(), flags={"staff": "tickets.assign"})
async def assign_to(
    query: CallbackQuery,
    callback_data: TicketAssign,
    ticket: Ticket,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if identity.person_id is None:
        return
    try:
        await service.assign(
            session, app.clock, ticket, callback_data.person_id, identity.person_id
        )
    except service.TicketError as exc:
        await _refused(query, app, session, exc, callback_data.ticket_id)
        return
    await audit(session, "tickets.assign", identity, ticket, assignee=callback_data.person_id)
    view = await load_view(session, ticket)
    await answer_query(query, _("Assigned."))
    await sync_group(app, view)
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
