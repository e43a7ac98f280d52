"""Applying to move in: the documents (and more of them when the office asks).

1. A photo of the ID card: photos, or PDF or image files; several pages allowed,
   then Continue. An album gets one answer, not one per photo.
2. Proof of residence, worded for the role (property certificate, lease,
   household register); then Continue.
3. Next: the community rules (:mod:`.agreements`); after "Ask for more", the new
   files go to the application (:mod:`.more_documents`).
"""

from __future__ import annotations

import time

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.models import ResidencyRole
from core.movein.rules import acceptable_document
from core.movein_models import AgreementKind, DocumentKind
from core.residents import MAX_DOCUMENTS_PER_KIND, ResidentsError, add_draft_document, draft_counts
from handlers.kit import answer_query, private_router, reply
from handlers.movein.agreements import show_agreement
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.more_documents import send_more_documents
from handlers.movein.views import button, chat, drop_buttons, person_id

router = private_router("movein.documents")

KINDS = (DocumentKind.ID, DocumentKind.PROOF, DocumentKind.EXTRA)
_STATE_KIND = {
    MoveIn.id_doc.state: DocumentKind.ID,
    MoveIn.proof.state: DocumentKind.PROOF,
    MoveIn.more_docs.state: DocumentKind.EXTRA,
}
_UPLOAD_STATES = StateFilter(MoveIn.id_doc, MoveIn.proof, MoveIn.more_docs)


@router.message(_UPLOAD_STATES, F.photo | F.document)
async def document_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    raw_state: str | None,
) -> None:
    kind = _STATE_KIND[raw_state or ""]
    if message.photo:
        photo = message.photo[-1]  # the largest size
        media, file_id, unique, mime = "photo", photo.file_id, photo.file_unique_id, None
    elif message.document is not None and acceptable_document(message.document.mime_type):
        doc = message.document
        media, file_id, unique, mime = "document", doc.file_id, doc.file_unique_id, doc.mime_type
    else:
        await reply(message, _("Please send a photo, or a PDF or image file."))
        return
    try:
        await add_draft_document(
            session,
            person_id(identity),
            kind,
            media=media,
            file_id=file_id,
            file_unique_id=unique,
            mime_type=mime,
            media_group_id=message.media_group_id,
            clock=app.clock,
        )
    except ResidentsError:
        await reply(
            message,
            _("That is enough files ({n}). Press Continue.").format(n=MAX_DOCUMENTS_PER_KIND),
            reply_markup=_continue_keyboard(kind),
        )
        return
    if not _first_of_album(message.media_group_id):
        return  # one answer per album is enough
    await reply(
        message,
        _("Received. Send more pages if needed, then press Continue."),
        reply_markup=_continue_keyboard(kind),
    )


# Albums answered lately in this process: media group id -> when (monotonic).
_ALBUMS_SEEN: dict[str, float] = {}
_ALBUM_MEMORY_S = 120


def _first_of_album(media_group_id: str | None) -> bool:
    """Whether this is the first photo of its album we answer.

    An album arrives as several updates handled concurrently; the check and the
    mark happen without an await in between, so exactly one of them wins in
    this process (a second process would at worst answer twice).
    """
    if media_group_id is None:
        return True
    now = time.monotonic()
    for key, at in list(_ALBUMS_SEEN.items()):
        if now - at > _ALBUM_MEMORY_S:
            del _ALBUMS_SEEN[key]
    if media_group_id in _ALBUMS_SEEN:
        return False
    _ALBUMS_SEEN[media_group_id] = now
    return True


def _continue_keyboard(kind: DocumentKind) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("Continue ➡"), "done", KINDS.index(kind))]]
    )


@router.message(_UPLOAD_STATES)
async def document_expected(message: Message, raw_state: str | None) -> None:
    if raw_state == MoveIn.id_doc.state:
        await reply(message, _("Please send a photo of your ID card (or a PDF or image file)."))
    else:
        await reply(
            message,
            _("Please send photos of the documents, or PDF or image files, then press Continue."),
        )


def _proof_prompt(role: ResidencyRole) -> str:
    if role == ResidencyRole.OWNER:
        return _(
            "Now your proof of ownership: the property certificate (不动产权证) or the purchase "
            "contract. Photos of the pages or a PDF."
        )
    if role == ResidencyRole.TENANT:
        return _("Now your lease contract: photos of the pages or a PDF.")
    return _(
        "Now something that shows you belong to this household: the owner's property certificate "
        "or lease, or your household register (户口本) page. Photos or a PDF."
    )


@router.callback_query(MvCb.filter(F.action == "done"), _UPLOAD_STATES)
async def documents_done(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    raw_state: str | None,
) -> None:
    kind = _STATE_KIND[raw_state or ""]
    if callback_data.id >= len(KINDS) or KINDS[callback_data.id] != kind:
        await answer_query(query, _("This button is no longer active."))
        return
    counts = await draft_counts(session, person_id(identity))
    if counts[kind] < 1:
        await reply(query, _("Please send at least one photo or file first."), alert=True)
        return
    message = chat(query)
    await drop_buttons(message)
    data = await state.get_data()
    if kind == DocumentKind.ID:
        await answer_query(query)
        await state.set_state(MoveIn.proof)
        await reply(message, _proof_prompt(ResidencyRole(data["role"])))
    elif kind == DocumentKind.PROOF:
        await answer_query(query)
        await show_agreement(message, state, session, app, AgreementKind.RULES)
    else:
        await send_more_documents(query, state, session, app, identity, int(data["app_id"]))
