"""Posting move-in applications to the community's admin group.

1. The group's "Move-in applications" topic (a forum) is created on first use;
   if an admin deleted it, posts go to General from then on.
2. The application's documents, grouped by kind, as photos or files (albums of
   up to ten).
3. The review card with Approve, Reject and Ask for more (:mod:`.decide`); an
   earlier card of the same application says "see the new post below".

Used by the move-in flow, by ``/setup`` (applications that arrived before a
group was bound) and by the hourly housekeeping (:mod:`.jobs`): not only from the
admin group, so cards choose the group's language here.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group
from bot.sender import Delivery
from core.formatting import fmt_date, fmt_short_datetime
from core.models import Community
from core.movein.homes import get_community
from core.movein.office import forget_movein_thread, remember_movein_thread, saved_movein_thread
from core.movein_models import (
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    MoveInApplication,
)
from core.residents import get_application, set_review_message
from handlers.kit import group_locale
from handlers.movein.callbacks import ReviewCb
from handlers.movein.texts import person_link, role_label, status_label

log = logging.getLogger(__name__)

ALBUM_MAX = 10  # Telegram's limit of items in one media group


async def movein_thread(app: AppContext, community: Community) -> int | None:
    """The admin group's "Move-in" topic (created on first use in a forum)."""
    if not community.admin_chat_is_forum or community.admin_chat_id is None:
        return None
    saved = saved_movein_thread(community)
    if saved is not None:
        return saved
    assert app.bot is not None
    with app.i18n.use_locale(group_locale(app, community)):
        name = _("Move-in applications")
    try:
        topic = await app.bot.create_forum_topic(community.admin_chat_id, name)
    except TelegramBadRequest as exc:
        log.warning("cannot create the move-in topic", extra={"fields": {"error": str(exc)}})
        return None
    remember_movein_thread(community, topic.message_thread_id)
    return topic.message_thread_id


def _chunks(items: Sequence[Any], size: int = ALBUM_MAX) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _doc_caption(application: MoveInApplication, kind: DocumentKind) -> str:
    what = {
        DocumentKind.ID: _("ID"),
        DocumentKind.PROOF: _("proof of residence"),
        DocumentKind.EXTRA: _("additional documents"),
    }[kind]
    return _("Application #{id} · {unit} · {what}").format(
        id=application.id, unit=application.unit.label, what=what
    )


async def _send_documents(
    bot: Bot, chat_id: int, thread_id: int | None, application: MoveInApplication
) -> None:
    by_kind: dict[tuple[DocumentKind, str], list[ApplicationDocument]] = {}
    for doc in application.documents:
        by_kind.setdefault((doc.kind, doc.media), []).append(doc)
    for (kind, media), docs in sorted(
        by_kind.items(), key=lambda kv: list(DocumentKind).index(kv[0][0])
    ):
        caption = _doc_caption(application, kind)
        for chunk in _chunks(docs):
            if len(chunk) == 1:
                if media == "photo":
                    await bot.send_photo(
                        chat_id, chunk[0].file_id, caption=caption, message_thread_id=thread_id
                    )
                else:
                    await bot.send_document(
                        chat_id, chunk[0].file_id, caption=caption, message_thread_id=thread_id
                    )
                continue
            group: list[InputMediaPhoto | InputMediaDocument] = []
            for i, doc in enumerate(chunk):
                cap = caption if i == 0 else None
                if media == "photo":
                    group.append(InputMediaPhoto(media=doc.file_id, caption=cap))
                else:
                    group.append(InputMediaDocument(media=doc.file_id, caption=cap))
            await bot.send_media_group(chat_id, group, message_thread_id=thread_id)  # type: ignore[arg-type]


def application_card(application: MoveInApplication, community: Community) -> str:
    """The review card, in the current (the group's) locale."""
    a = application
    lines = [
        _("🏠 <b>Move-in application #{id}</b>").format(id=a.id),
        _("Unit: {unit} ({area} m²)").format(unit=html.escape(a.unit.label), area=a.unit.area_m2),
        _("Applicant: {person} · {role}").format(
            person=person_link(a.person.telegram_id, a.full_name), role=role_label(a.role)
        ),
        _("Phone: {phone}").format(phone=html.escape(a.phone or "—")),
    ]
    if a.end_date is not None:
        lines.append(_("Lease until: {date}").format(date=fmt_date(a.end_date, community.locale)))
    lines.append(
        _("Submitted: {when}").format(
            when=fmt_short_datetime(a.submitted_at, community.timezone, community.locale)
        )
    )
    counts = {k: sum(1 for d in a.documents if d.kind == k) for k in DocumentKind}
    if a.documents_purged_at is not None:
        lines.append(_("Documents: deleted after the retention period"))
    else:
        lines.append(
            _("Documents: {ids} ID, {proofs} proof, {extra} additional (above)").format(
                ids=counts[DocumentKind.ID],
                proofs=counts[DocumentKind.PROOF],
                extra=counts[DocumentKind.EXTRA],
            )
        )
    lines.append(_("Accepted the community rules and the service contract."))
    if a.staff_request:
        lines.append(_("Asked for: {note}").format(note=html.escape(a.staff_request)))
    lines.append(_("Status: {status}").format(status=status_label(a.status)))
    if a.decision_reason:
        lines.append(_("Reason: {reason}").format(reason=html.escape(a.decision_reason)))
    return "\n".join(lines)


def review_keyboard(application: MoveInApplication) -> InlineKeyboardMarkup | None:
    if not application.status.is_open:
        return None

    def review_button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=ReviewCb(action=action, app_id=application.id).pack()
        )

    row = [review_button(_("✅ Approve"), "a"), review_button(_("❌ Reject"), "r")]
    if application.status == ApplicationStatus.SUBMITTED:
        row.append(review_button(_("📎 Ask for more"), "m"))
    return InlineKeyboardMarkup(inline_keyboard=[row])


async def post_application(app: AppContext, session: AsyncSession, application_id: int) -> Delivery:
    """Post (or re-post) an application with its documents to the admin group.

    The previous card, if any, is edited to point to the new post. Returns
    ``Delivery(ok=False, reason="no_admin_group")`` when no group is bound yet:
    ``/setup`` posts waiting applications later.
    """
    assert app.bot is not None
    application = await get_application(session, application_id)
    community = await get_community(session, application.community_id)
    assert community is not None
    if community.admin_chat_id is None:
        return Delivery(ok=False, reason="no_admin_group")
    chat_id = community.admin_chat_id
    thread_id = await movein_thread(app, community)
    with app.i18n.use_locale(group_locale(app, community)):
        try:
            await _send_documents(app.bot, chat_id, thread_id, application)
        except TelegramBadRequest as exc:
            if thread_id is None or "thread" not in str(exc).lower():
                raise
            forget_movein_thread(community)
            thread_id = None
            await _send_documents(app.bot, chat_id, thread_id, application)
        delivery = await send_to_admin_group(
            app,
            community,
            lambda: application_card(application, community),
            thread_id=thread_id,
            reply_markup=review_keyboard(application),
        )
        old_chat, old_message = application.admin_chat_id, application.admin_message_id
        if delivery.ok:
            await set_review_message(session, application.id, chat_id, delivery.result.message_id)
            if old_chat == chat_id and old_message is not None:
                await edit_card(
                    app.bot,
                    chat_id,
                    old_message,
                    application_card(application, community)
                    + "\n"
                    + _("⤵️ Updated: see the new post below."),
                    None,
                )
    return delivery


async def edit_card(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit a card; a deleted or unchanged card is not worth failing the action."""
    try:
        await bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except TelegramBadRequest as exc:
        log.info("card not edited", extra={"fields": {"error": str(exc)}})


async def refresh_card(app: AppContext, session: AsyncSession, application_id: int) -> None:
    """Show an application's current state on its card (buttons only while open)."""
    application = await get_application(session, application_id)
    community = await get_community(session, application.community_id)
    if (
        community is None
        or application.admin_chat_id is None
        or application.admin_message_id is None
        or app.bot is None
    ):
        return
    with app.i18n.use_locale(group_locale(app, community)):
        await edit_card(
            app.bot,
            application.admin_chat_id,
            application.admin_message_id,
            application_card(application, community),
            review_keyboard(application),
        )
