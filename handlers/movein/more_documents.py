"""Applying to move in: sending more documents when the office asks.

1. The office's "Ask for more" reaches the applicant with a "Send documents"
   button (:func:`more_documents_keyboard`).
2. The button opens the upload step for additional files (:mod:`.documents`),
   if the application is still waiting for them.
3. Continue attaches them, puts the application back in review, and re-posts
   it to the admin group.
"""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.movein.office import application_awaiting_documents
from core.movein_models import DocumentKind
from core.residents import ResidentsError, add_more_documents, clear_drafts
from handlers.kit import (
    answer_query,
    commit_before_send,
    menu_keyboard,
    private_router,
    reply,
)
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.posting import post_application
from handlers.movein.views import button, chat, person_id

log = logging.getLogger(__name__)

router = private_router("movein.more_documents")


def more_documents_keyboard(application_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("📎 Send documents"), "more", application_id)]]
    )


@router.callback_query(MvCb.filter(F.action == "more"), StateFilter("*"))
async def more_documents(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    application = await application_awaiting_documents(
        session, callback_data.id, identity.person_id
    )
    if application is None:
        await reply(query, _("This request is no longer open."), alert=True)
        return
    await clear_drafts(session, person_id(identity), DocumentKind.EXTRA)
    await state.set_state(MoveIn.more_docs)
    await state.set_data({"app_id": application.id})
    await reply(
        query, _("Send the photos or files the property office asked for, then press Continue.")
    )


async def send_more_documents(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    application_id: int,
) -> None:
    message = chat(query)
    try:
        await add_more_documents(session, application_id, person_id(identity))
    except ResidentsError:
        await state.clear()
        await answer_query(query)
        await reply(
            message, _("This request is no longer open."), reply_markup=menu_keyboard(identity)
        )
        return
    await state.clear()
    # The re-posted card's buttons must find the application back in review.
    await commit_before_send(session)
    await answer_query(query, _("Sent."))
    await reply(message, _("Thank you. The property office will look at your application again."))
    try:
        await post_application(app, session, application_id)
    except Exception:
        log.exception(
            "application not re-posted", extra={"fields": {"application": application_id}}
        )
