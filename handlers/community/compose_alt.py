"""Composing a notice: the same notice in the other language (optional).

Steps: after the text, staff send the title on the first line and the text below
it in the other language (Chinese or English, read from the words:
:mod:`core.community.languages`), or press "One language only" → the attachment
step (:mod:`.compose_text`). The same language twice, a missing text, or words over
the limits are refused with the reason and the limit named.
"""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.community.languages import other_locale, written_locale
from core.community.notices import BODY_MAX, TITLE_MAX
from handlers.community.callbacks import Compose
from handlers.community.drafting import NoticeSteps
from handlers.community.steps import ask
from handlers.kit import admin_router, answer_query

router = admin_router("community.compose_alt")


def language_name(locale: str) -> str:
    return _("Chinese") if locale == "zh_Hans" else _("English")


@router.callback_query(NoticeSteps.alt, Compose.filter(F.step == "alt"))
async def one_language(query: CallbackQuery, state: FSMContext) -> None:
    await answer_query(query)
    await state.update_data(alt_locale=None, alt_title=None, alt_body=None)
    assert isinstance(query.message, Message)
    await ask(query.message, state, NoticeSteps.attachment)


@router.message(NoticeSteps.alt, F.text)
async def other_words(message: Message, state: FSMContext) -> None:
    title, _sep, body = (message.text or "").strip().partition("\n")
    title, body = title.strip(), body.strip()
    data = await state.get_data()
    first = written_locale(data.get("title", ""), data.get("body", ""))
    if not title or not body:
        await message.answer(
            _("Please send the title on the first line and the text on the lines below it.")
        )
        return
    if len(title) > TITLE_MAX or len(body) > BODY_MAX:
        await message.answer(
            _("Too long: the title at most {title} characters, the text at most {body}.").format(
                title=TITLE_MAX, body=BODY_MAX
            )
        )
        return
    if written_locale(title, body) == first:
        await message.answer(
            _(
                "That is in {language}, like the notice. Send it in {other}, or press "
                "“One language only”."
            ).format(language=language_name(first), other=language_name(other_locale(first)))
        )
        return
    await state.update_data(alt_locale=other_locale(first), alt_title=title, alt_body=body)
    await ask(message, state, NoticeSteps.attachment)


@router.message(NoticeSteps.alt)
async def reask_alt(message: Message) -> None:
    await message.answer(_("Please send the text, or press “One language only”."))
