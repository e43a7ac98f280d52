"""How tickets reach the admin group: the topic, the card, the photos, notices.

A ticket lives in its own forum topic, or — in a group without topics — in the
reply chain of its card. :func:`publish_ticket` puts a new ticket there (the
resident's submit and the publisher job both call it); :func:`post_in_ticket`
adds a message; :func:`sync_group` brings the card and the topic name up to date.
Group texts are written in the group's language; callers never have to think about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, InputMediaPhoto, Message, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.db import transaction
from core.sends import send_once
from core.tickets import service
from core.tickets.models import LinkRole, Ticket, Urgency
from handlers.kit import commit_before_send, group_locale
from handlers.tickets.card import card_keyboard, render_card
from handlers.tickets.views import TicketView, load_view, topic_name

log = logging.getLogger(__name__)

# Forum topic icon colours Telegram allows; one per urgency so staff see it at a glance.
TOPIC_COLORS = {Urgency.NORMAL: 7322096, Urgency.URGENT: 16766590, Urgency.EMERGENCY: 16478047}


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


async def sync_group(app: AppContext, view: TicketView) -> None:
    """Bring the card (facts, deadlines, buttons) and the topic's name (✅ once
    closed …) up to date with the ticket."""
    assert app.bot is not None
    ticket = view.ticket
    if ticket.admin_chat_id is None:
        return
    with app.i18n.use_locale(group_locale(app, view.community)):
        text = render_card(view, app.clock.now(), forum=ticket.topic_id is not None)
        markup = card_keyboard(ticket)
        name = topic_name(view)
    if ticket.card_message_id is not None:
        try:
            await app.bot.edit_message_text(
                text=text,
                chat_id=ticket.admin_chat_id,
                message_id=ticket.card_message_id,
                reply_markup=markup,
            )
        except TelegramAPIError as exc:
            if "not modified" not in str(exc).lower():
                log.warning(
                    "could not update the ticket card",
                    extra={"fields": {"ticket": ticket.id, "error": str(exc)}},
                )
    if ticket.topic_id is not None:
        try:
            await app.bot.edit_forum_topic(ticket.admin_chat_id, ticket.topic_id, name=name)
        except TelegramAPIError as exc:
            if "not_modified" not in str(exc).lower() and "not modified" not in str(exc).lower():
                log.info("could not rename topic", extra={"fields": {"ticket": ticket.id}})


async def publish_once(app: AppContext, ticket_id: int) -> bool:
    """Post a committed ticket's card, once across everyone who tries.

    The filing handlers and the publisher job all come here: the post is claimed
    first (``core.sends``), so a job run that finds the ticket while its filer is
    still posting skips it instead of posting a second card. A post that failed
    gives the claim back for the job's next run. False only when this call tried
    and the card is not up; a claim held by another poster counts as posted.
    """

    async def publish() -> bool:
        async with transaction(app.session_factory) as session:
            ticket = await service.get_ticket(session, ticket_id)
            return await publish_ticket(app, session, await load_view(session, ticket))

    claimed, posted = await send_once(
        app.session_factory,
        f"tickets.publish:{ticket_id}",
        app.clock.now(),
        publish,
        retry_undelivered=True,
    )
    return bool(posted) if claimed else True


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
    await commit_before_send(session)
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
