"""Staff write to the resident from the ticket's topic.

Steps: a staff message in a ticket's topic (or, in a group without topics, a
reply to one of the ticket's messages) → a note starting with ``//`` stays in the
group → only staff of the community may write to residents → closed tickets and
content a resident cannot receive are explained → the text, photo, document or
video is copied to the resident with the ticket number → a resident who cannot be
reached is reported in the topic → the first answer meets the "first answer"
deadline and the card is updated.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram.filters import Filter, StateFilter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import locale_of
from bot.sender import Delivery, deliver
from core.identity import Identity
from core.models import Community
from core.tickets import service
from core.tickets.models import LinkRole, Ticket
from handlers.kit import admin_router
from handlers.tickets.group import post_in_ticket, sync_group
from handlers.tickets.labels import status_label, ticket_ref
from handlers.tickets.notices import unreachable_text
from handlers.tickets.sizes import CAPTION_LIMIT, fits, split_with_header
from handlers.tickets.staff_shared import ticket_of_message
from handlers.tickets.views import TicketView, load_view

router = admin_router("tickets.staff_relay")

INTERNAL_PREFIX = "//"
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


class TicketMessage(Filter):
    """A person's message in a ticket's topic (or reply chain) of this group's
    community; injects ``ticket``. Other messages are not the tickets' business."""

    async def __call__(
        self, message: Message, session: AsyncSession, community: Community
    ) -> bool | dict[str, Any]:
        if message.from_user is None or message.from_user.is_bot:
            return False
        ticket = await ticket_of_message(session, message)
        if ticket is None or ticket.community_id != community.id:
            return False
        return {"ticket": ticket}


def _stays_in_group(message: Message) -> bool:
    """An internal note (``//``), or a topic being created or renamed."""
    body = message.text or message.caption or ""
    internal = body.lstrip().startswith(INTERNAL_PREFIX)
    return internal or bool(message.forum_topic_created or message.forum_topic_edited)


NOT_A_COMMAND = ~F.text.startswith("/")


# The cheap test first: only a note or a topic change costs the ticket look-up here.
@router.message(StateFilter(None), NOT_A_COMMAND, F.func(_stays_in_group), TicketMessage())
async def internal_note(message: Message) -> None:
    """Stays in the group, whoever writes it: nothing to do."""


@router.message(StateFilter(None), NOT_A_COMMAND, TicketMessage(), flags={"staff": "tickets.reply"})
async def relay_to_resident(
    message: Message,
    ticket: Ticket,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    """A staff message in a ticket's topic (or replying to its messages) goes to the resident."""
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
    deliveries = await _send_to_resident(app, view, message, identity)
    if deliveries is None:
        await post_in_ticket(app, session, view, lambda: unreachable_text("no_telegram"))
        return
    delivered = deliveries[0]
    if not delivered.ok:
        await post_in_ticket(app, session, view, lambda: unreachable_text(delivered.reason))
        return
    for part in deliveries:
        if isinstance(part.result, Message):
            sent = part.result
            await service.link_message(
                session, ticket.id, sent.chat.id, sent.message_id, LinkRole.TO_RESIDENT
            )
    await service.link_message(
        session, ticket.id, message.chat.id, message.message_id, LinkRole.TO_RESIDENT
    )
    if len(deliveries) > 1:
        await message.reply(
            _(
                "This was longer than one Telegram message: the resident got it in {count} parts."
            ).format(count=len(deliveries))
        )
    if await service.record_staff_answer(session, app.clock, ticket, identity.person_id):
        await sync_group(app, view)


async def _send_to_resident(
    app: AppContext, view: TicketView, message: Message, identity: Identity
) -> list[Delivery] | None:
    """Copy a staff message to the resident (by file id, with the ticket number), a
    text too long for one message in numbered parts; None when the resident has no
    Telegram account at all. Stops at the first part that cannot be delivered."""
    assert app.bot is not None
    bot = app.bot
    person = view.reporter
    if person is None or person.telegram_id is None:
        return None
    ticket = view.ticket
    with app.i18n.use_locale(locale_of(app, person)):
        header = _("💬 Property office ({name}) about your ticket {ref}:").format(
            name=escape(identity.full_name or _("staff")), ref=ticket_ref(ticket)
        )
    body = message.text or message.caption or ""
    chat_id = person.telegram_id
    media = message.photo or message.document or message.video
    texts = split_with_header(header, body)
    calls: list[Any] = []
    if media:
        # The caption when it fits; otherwise the header alone, and the text after it.
        caption = texts[0] if fits(header, body, CAPTION_LIMIT) else header
        texts = [] if fits(header, body, CAPTION_LIMIT) else texts
        if message.photo:
            file_id = message.photo[-1].file_id
            calls.append(lambda: bot.send_photo(chat_id, file_id, caption=caption))
        elif message.document:
            file_id = message.document.file_id
            calls.append(lambda: bot.send_document(chat_id, file_id, caption=caption))
        elif message.video:
            file_id = message.video.file_id
            calls.append(lambda: bot.send_video(chat_id, file_id, caption=caption))
    calls += [lambda text=text: bot.send_message(chat_id, text) for text in texts]
    deliveries: list[Delivery] = []
    for call in calls:
        sent = await deliver(call())
        deliveries.append(sent)
        if not sent.ok:
            break
    return deliveries
