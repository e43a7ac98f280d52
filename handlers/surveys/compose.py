"""Writing one's own questionnaire (admin group, managers: ``surveys.create``),
between ``/survey`` and the deadline of :mod:`.create`.

Steps: "✏️ Write my own questionnaire" → the title (at most 120 characters) → for
each question: its kind (one choice, several choices, rating 1–5, free text) → its
words (at most 300 characters) → for a choice, the options, one a line (2 to 10, at
most 40 characters each) → the next question's kind, or "✔ That's all" (at most
20 questions) → the deadline and the check (:mod:`.create`). Everything stays in
the conversation until "📨 Open the survey".
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.surveys.models import QuestionKind
from core.surveys.service import OPTION_MAX, OPTIONS_MAX, QUESTION_MAX, QUESTIONS_MAX, TITLE_MAX
from handlers.kit import admin_router, answer_query, read_text, reply
from handlers.kit.buttons import button_enum
from handlers.surveys.callbacks import SurveyStaff
from handlers.surveys.create import CreateSteps, ask_deadline, kind_name, staff_keyboard

router = admin_router("surveys.compose")

CHOICES = (QuestionKind.SINGLE, QuestionKind.MULTI)
NOT_COMMAND = ~F.text.startswith("/")  # a command (/survey again) is not an answer


class ComposeSteps(StatesGroup):
    title = State()
    kind = State()
    words = State()
    options = State()


@router.callback_query(CreateSteps.template, SurveyStaff.filter(F.action == "custom"))
async def chose_custom(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ComposeSteps.title)
    await state.set_data({"custom": True, "questions": []})
    text = _("✏️ Your own questionnaire. What is its title? (at most {limit} characters)")
    await reply(query, text.format(limit=TITLE_MAX))


@router.message(ComposeSteps.title, NOT_COMMAND)
async def typed_title(message: Message, state: FSMContext) -> None:
    if (title := await read_text(message, max_len=TITLE_MAX)) is not None:
        await state.update_data(title=title)
        await _ask_kind(message, state, [])


async def _ask_kind(message: Message, state: FSMContext, questions: list[Any]) -> None:
    await state.set_state(ComposeSteps.kind)
    rows = [(kind_name(k).capitalize(), f"kind:{k.value}") for k in QuestionKind]
    if questions:
        rows.append((_("✔ That's all: set the deadline"), "finish"))
    text = _("Question {n}: what kind of question?").format(n=len(questions) + 1)
    await message.answer(text, reply_markup=staff_keyboard(*rows))


@router.callback_query(ComposeSteps.kind, SurveyStaff.filter(F.action == "kind"))
async def chose_kind(query: CallbackQuery, callback_data: SurveyStaff, state: FSMContext) -> None:
    kind = button_enum(QuestionKind, callback_data.value)
    await state.update_data(kind=kind.value)
    await state.set_state(ComposeSteps.words)
    text = _("Send the question (at most {limit} characters).")
    await reply(query, text.format(limit=QUESTION_MAX))


@router.callback_query(ComposeSteps.kind, SurveyStaff.filter(F.action == "finish"))
async def finish(query: CallbackQuery, state: FSMContext) -> None:
    if not (await state.get_data()).get("questions"):
        await answer_query(query, _("Write at least one question first."), alert=True)
        return
    await ask_deadline(query, state)


async def _add(message: Message, state: FSMContext, options: list[str]) -> None:
    """Keep the question written so far; then the next one, or the deadline at the limit."""
    data = await state.get_data()
    question = {"kind": data["kind"], "text": data["words"], "options": options}
    questions = [*data["questions"], question]
    await state.update_data(questions=questions)
    if len(questions) >= QUESTIONS_MAX:
        await message.answer(
            _("That is {limit} questions, the most one survey has.").format(limit=QUESTIONS_MAX)
        )
        await ask_deadline(message, state)
    else:
        await _ask_kind(message, state, questions)


@router.message(ComposeSteps.words, NOT_COMMAND)
async def typed_words(message: Message, state: FSMContext) -> None:
    if (words := await read_text(message, max_len=QUESTION_MAX)) is None:
        return
    await state.update_data(words=words)
    if QuestionKind((await state.get_data())["kind"]) in CHOICES:
        await state.set_state(ComposeSteps.options)
        text = _("Send the options, one a line: {low} to {high}, at most {limit} characters each.")
        await message.answer(text.format(low=2, high=OPTIONS_MAX, limit=OPTION_MAX))
    else:
        await _add(message, state, [])


@router.message(ComposeSteps.options, NOT_COMMAND)
async def typed_options(message: Message, state: FSMContext) -> None:
    lines = (message.text or "").splitlines()
    options = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not 2 <= len(options) <= OPTIONS_MAX or any(len(o) > OPTION_MAX for o in options):
        text = _(
            "Please send {low} to {high} different options, one a line, each at most "
            "{limit} characters."
        )
        await message.answer(text.format(low=2, high=OPTIONS_MAX, limit=OPTION_MAX))
        return
    await _add(message, state, options)


@router.message(ComposeSteps.kind, NOT_COMMAND)
async def reask_kind(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))
