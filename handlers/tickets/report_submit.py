"""Report a problem, phase 4: check and submit.

Steps: the summary of every answer with "Submit" / "Cancel" → Submit files the
ticket in one transaction (at most once per draft, however often it is pressed;
the daily limit and the residency are checked again) → the ticket goes up in the
admin group (its topic, card and photos) → the resident gets its number, and the
duty phone again for an emergency. A ticket the group could not get yet is posted
by the publisher job (:mod:`.jobs`), and the resident is told so.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from core.tickets import parties, service
from core.tickets.models import HazardType, RepairCategory, Ticket, TicketKind, Urgency
from handlers.kit import answer_query, commit_before_send, private_router, reply
from handlers.tickets.callbacks import Filing
from handlers.tickets.group import publish_once
from handlers.tickets.labels import (
    category_label,
    duty_phone,
    hazard_label,
    kind_label,
    ticket_ref,
    urgency_label,
)
from handlers.tickets.notices import answer_linked
from handlers.tickets.report_shared import (
    FileTicket,
    ask_choice,
    button,
    expected_a_button,
    limit_text,
)
from handlers.tickets.resident_shared import in_chat

log = logging.getLogger(__name__)

router = private_router("tickets.report_submit")


async def _summary(data: dict[str, Any], identity: Identity, session: AsyncSession) -> str:
    kind = TicketKind(data["kind"])
    subject = kind_label(kind)
    if data.get("category"):
        subject += " · " + category_label(RepairCategory(data["category"]))
    if data.get("hazard"):
        subject += " · " + hazard_label(HazardType(data["hazard"]))
    if data.get("unit_id") is not None:
        unit = identity.unit(int(data["unit_id"]))
        place = unit.unit_label if unit else "?"
    else:
        parts = []
        if data.get("location_text"):
            parts.append(data["location_text"])
        if data.get("lat") is not None:
            parts.append(_("📍 location pin"))
        place = _("Common area") + (": " + ", ".join(parts) if parts else "")
    media = await service.draft_media(session, data["draft"])
    lines = [
        _("<b>Please check your report</b>"),
        _("Type: {subject}").format(subject=escape(subject)),
        _("Where: {place}").format(place=escape(place)),
        _("Urgency: {urgency}").format(
            urgency=urgency_label(Urgency(data.get("urgency", "normal")))
        ),
        _("Attachments: {count}").format(count=len(media)),
        "",
        escape(data["description"]),
    ]
    return "\n".join(lines)


async def ask_confirm(
    event: Message | CallbackQuery, data: dict[str, Any], identity: Identity, session: AsyncSession
) -> None:
    submit = button(_("✅ Submit"), "confirm", "submit")
    await ask_choice(event, await _summary(data, identity, session), [submit], width=1)


async def duty_phone_text(app: AppContext, session: AsyncSession, community_id: int) -> str:
    """Shown the moment a resident says "emergency", before the summary."""
    community = await parties.load_community(session, community_id)
    phone = duty_phone(app, community) if community else app.settings.duty_phone
    if phone:
        return _(
            "🚨 For an emergency, call the duty phone right now: <b>{phone}</b>\n"
            "I am filing your report as well."
        ).format(phone=escape(phone))
    return _(
        "🚨 For an emergency, call the property office or 110/119/120 right now. "
        "I am filing your report as well."
    )


@router.callback_query(FileTicket.confirm, Filing.filter(F.step == "confirm"))
async def submit(
    query: CallbackQuery,
    state: FSMContext,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    # Answered at once: filing and posting to the group take a few round trips.
    await answer_query(query)
    data = await state.get_data()
    if identity.person_id is None or not await service.claim_draft_submission(
        session, app.clock, data["draft"]
    ):
        return  # pressed twice: the first press files it
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    chat = in_chat(query)
    community = await parties.load_community(session, int(data["community_id"]))
    if community is None:
        await state.clear()
        await reply(chat, _("Sorry, that community no longer exists here."))
        return
    try:
        ticket = await _file(session, app, data, community, identity.person_id)
    except service.TicketError as exc:
        # Nothing of the attempt is kept; the refusal is the whole answer.
        await session.rollback()
        await state.clear()
        await reply(chat, _refusal(exc))
        return
    await service.discard_draft_media(session, data["draft"])
    await state.clear()
    # The card about to be posted carries the ticket's id on its buttons: a press must
    # find the ticket (and the community's number counter is not held during the upload).
    await commit_before_send(session)
    text = _filed_text(ticket, await publish_once(app, ticket.id))
    if ticket.urgency == Urgency.EMERGENCY:
        phone = duty_phone(app, community)
        if phone:
            text += "\n\n" + _("🚨 Emergency duty phone: <b>{phone}</b>").format(
                phone=escape(phone)
            )
    if isinstance(query.message, Message):
        await answer_linked(session, ticket, query.message, text)


async def _file(
    session: AsyncSession,
    app: AppContext,
    data: dict[str, Any],
    community: Community,
    person_id: int,
) -> Ticket:
    """The ticket the conversation's answers describe (its photos from the draft)."""
    return await service.file_ticket(
        session,
        app.clock,
        community=community,
        reporter_person_id=person_id,
        kind=TicketKind(data["kind"]),
        category=RepairCategory(data["category"]) if data.get("category") else None,
        hazard=HazardType(data["hazard"]) if data.get("hazard") else None,
        unit_id=data.get("unit_id"),
        location_text=data.get("location_text") or "",
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        description=data["description"],
        urgency=Urgency(data.get("urgency", "normal")),
        media=await service.draft_media(session, data["draft"]),
    )


def _refusal(exc: service.TicketError) -> str:
    if isinstance(exc, service.DailyLimitReached):
        return limit_text(exc.limit)
    if isinstance(exc, service.NotResident):
        return _("Sorry, you are no longer a resident of that home.")
    field = exc.field if isinstance(exc, service.InvalidTicketData) else exc.code
    log.warning("invalid ticket draft", extra={"fields": {"field": field}})
    return _("Sorry, something in the report was not valid. Please start again.")


def _filed_text(ticket: Ticket, published: bool) -> str:
    if published:
        return _(
            "✅ Your report is filed as ticket <b>{ref}</b>. The property office sees it now; "
            "I will tell you here when someone takes it.\n"
            "Reply to this message to add anything for the staff."
        ).format(ref=ticket_ref(ticket))
    # Saved, but not in front of staff yet (no group bound, or Telegram failed): the
    # publisher job posts it as soon as it can. Say so honestly.
    return _(
        "✅ Your report is filed as ticket <b>{ref}</b>. It will reach the property "
        "office's staff group as soon as it is connected; I will tell you here when "
        "someone takes it."
    ).format(ref=ticket_ref(ticket))


router.message.register(expected_a_button, FileTicket.confirm)
