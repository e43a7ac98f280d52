"""Composing a notice, second phase: the words and an attachment.

Steps: the title (at most 100 characters) → the text (at most 3500 characters: a
Telegram message holds 4096 and the notice's heading takes the rest; a longer one
is refused with the limit named) → the same in the other language, or "only in
…" (:mod:`.compose_alt`) → a photo or a PDF, or "No attachment" (with one,
the text is its caption: at most 800 characters) → the preview (:mod:`.compose_send`).
"""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.notices import BODY_MAX, CAPTION_BODY_MAX, TITLE_MAX
from core.models import Community
from handlers.community.callbacks import Compose
from handlers.community.compose_send import show_preview
from handlers.community.drafting import NoticeSteps
from handlers.community.steps import words_steps
from handlers.kit import admin_router, answer_query

router = admin_router("community.compose_text")

words_steps(
    router,
    {
        NoticeSteps.title.state: ("title", TITLE_MAX, NoticeSteps.body),
        NoticeSteps.body.state: ("body", BODY_MAX, NoticeSteps.alt),
    },
    NoticeSteps.title,
    NoticeSteps.body,
)


@router.callback_query(NoticeSteps.attachment, Compose.filter(F.step == "attach"))
async def no_attachment(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    app: AppContext,
) -> None:
    await answer_query(query)
    await state.update_data(attachment_kind=None, attachment_file_id=None)
    assert isinstance(query.message, Message)
    await show_preview(query.message, state, session, community, app)


@router.message(NoticeSteps.attachment, F.photo | F.document)
async def attached(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    app: AppContext,
) -> None:
    if message.document is not None and message.document.mime_type != "application/pdf":
        await message.answer(_("Only a photo or a PDF file can go with a notice."))
        return
    data = await state.get_data()
    body = max(data.get("body", ""), data.get("alt_body") or "", key=len)
    if len(body) > CAPTION_BODY_MAX:
        await message.answer(
            _(
                "With a photo or a PDF the text can be at most {limit} characters "
                "(yours has {length}). Press “No attachment”, or start again with "
                "/notice and a shorter text."
            ).format(limit=CAPTION_BODY_MAX, length=len(body))
        )
        return
    if message.photo:
        kind, file_id = "photo", message.photo[-1].file_id
    else:
        assert message.document is not None
        kind, file_id = "document", message.document.file_id
    await state.update_data(attachment_kind=kind, attachment_file_id=file_id)
    await show_preview(message, state, session, community, app)


@router.message(NoticeSteps.attachment)
async def reask_attachment(message: Message) -> None:
    await message.answer(_("Please send a photo or a PDF, or press “No attachment”."))
