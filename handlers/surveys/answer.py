"""Answering a survey (private chat), one question at a time.

Steps: "✏️ Answer for 1栋-101" → each question in turn: one choice (a button), a
rating (1–5 buttons), several choices (buttons that tick and untick, then "✔ Done";
at least one), free text (a message of at most 1000 characters, or "⏭ Skip") →
the answers to check, and "📨 Submit" — with a written answer, "signed with my
name" or "anonymously" → the household's answer is written in one transaction; if
someone in the household answered first, theirs counts and the resident is told.
The answers stay in the conversation until then. A button of another question, of
another survey or of a finished conversation answers "no longer active"; after the
deadline the survey answers "closed".
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.residents.common import community_today
from core.surveys.models import QuestionKind, SurveyQuestion
from core.surveys.service import (
    RATING_MAX,
    TEXT_MAX,
    Answer,
    SurveyError,
    check_answer,
    is_closed,
    my_households,
    questions,
    submit_answers,
)
from handlers.kit import answer_query, edit, private_router, read_text, reply
from handlers.kit.buttons import button_int
from handlers.surveys.callbacks import SurveyCb
from handlers.surveys.resident import survey_of
from handlers.surveys.texts import kind_hint, option_label, question_text, short_label

router = private_router("surveys.answer")


class Answering(StatesGroup):
    question = State()
    submit = State()


def _button(text: str, action: str, survey_id: int, pos: int, value: str = "") -> Any:
    data = SurveyCb(action=action, survey_id=survey_id, pos=pos, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _question(q: SurveyQuestion, total: int, sid: int, picked: list[int]) -> tuple[str, Any]:
    """The question's message and its buttons (a multiple choice's ticks: ``picked``)."""
    kind = QuestionKind(q.kind)
    text = "\n".join(
        [
            _("Question {n} of {total}").format(n=q.position + 1, total=total),
            f"<b>{escape(question_text(q))}</b>",
            kind_hint(kind).format(limit=TEXT_MAX),
        ]
    )
    pos = q.position
    if kind == QuestionKind.RATING:
        rows = [[_button(f"{i}★", "pick", sid, pos, str(i)) for i in range(1, RATING_MAX + 1)]]
    elif kind == QuestionKind.SINGLE:
        rows = [
            [_button(option_label(q, i), "pick", sid, pos, str(i))] for i in range(len(q.options))
        ]
    elif kind == QuestionKind.MULTI:
        rows = [
            [
                _button(
                    f"{'✅' if i in picked else '⬜'} {option_label(q, i)}",
                    "toggle",
                    sid,
                    pos,
                    str(i),
                )
            ]
            for i in range(len(q.options))
        ]
        rows.append([_button(_("✔ Done"), "done", sid, pos)])
    else:
        rows = [[_button(_("⏭ Skip"), "skip", sid, pos)]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def _ask(message: Message, state: FSMContext, session: AsyncSession) -> None:
    """Ask the conversation's current question, or show the answers to submit."""
    data = await state.get_data()
    asked = await questions(session, data["survey_id"])
    pos = data["pos"]
    if pos < len(asked):
        await state.set_state(Answering.question)
        text, markup = _question(asked[pos], len(asked), data["survey_id"], data.get("picked", []))
        await message.answer(text, reply_markup=markup)
        return
    await state.set_state(Answering.submit)
    answers = data["answers"]
    lines = [_("📝 Your answers:")]
    for q in asked:
        lines.append(
            f"• {escape(short_label(q))}: {escape(_shown(q, answers.get(str(q.position))))}"
        )
    sid = data["survey_id"]
    if any(a and a.get("t") for a in answers.values()):
        lines.append(_("Sign your written answer with your name, or send it anonymously?"))
        rows = [
            [_button(_("📨 Submit, signed with my name"), "submit", sid, pos, "signed")],
            [_button(_("📨 Submit anonymously"), "submit", sid, pos, "anonymous")],
        ]
    else:
        rows = [[_button(_("📨 Submit"), "submit", sid, pos, "anonymous")]]
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


def _shown(q: SurveyQuestion, answer: dict[str, Any] | None) -> str:
    if not answer:
        return _("(skipped)")
    if "r" in answer:
        return f"{answer['r']}★"
    if "t" in answer:
        text: str = answer["t"]
        return text if len(text) <= 60 else text[:59] + "…"
    return "、".join(option_label(q, i) for i in answer["c"])


@router.callback_query(SurveyCb.filter(F.action == "start"))
async def start(
    query: CallbackQuery,
    callback_data: SurveyCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
    state: FSMContext,
) -> None:
    found = await survey_of(query, session, callback_data.survey_id)
    if found is None or identity.person_id is None:
        return
    survey, community = found
    if is_closed(survey, app.clock.now()):
        await answer_query(query, _("This survey is closed."), alert=True)
        return
    unit_id = button_int(callback_data.value)
    homes = await my_households(
        session, survey, identity.person_id, community_today(community, app.clock)
    )
    home = next((h for h in homes if h.unit_id == unit_id), None)
    if home is None:
        await answer_query(query, _("This survey is not for your household."), alert=True)
        return
    if home.response is not None:
        await answer_query(query, _("Your household has already answered this survey."), alert=True)
        return
    await state.set_state(Answering.question)
    await state.set_data({"survey_id": survey.id, "unit_id": unit_id, "pos": 0, "answers": {}})
    await answer_query(query)
    assert isinstance(query.message, Message)
    await _ask(query.message, state, session)


async def _current(query: CallbackQuery, cb: SurveyCb, state: FSMContext) -> dict[str, Any] | None:
    """The conversation's data when the button is of its current question; else None,
    the press answered "no longer active"."""
    data = await state.get_data()
    if data.get("survey_id") != cb.survey_id or data.get("pos") != cb.pos:
        await answer_query(query, _("This button is no longer active."))
        return None
    return data


async def _next(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, answer: Any
) -> None:
    data = await state.get_data()
    answers = dict(data["answers"])
    answers[str(data["pos"])] = answer
    await state.update_data(answers=answers, pos=data["pos"] + 1, picked=[])
    await answer_query(query)
    assert isinstance(query.message, Message)
    await edit(query, query.message.html_text or "", reply_markup=None)
    await _ask(query.message, state, session)


@router.callback_query(Answering.question, SurveyCb.filter(F.action.in_({"pick", "skip", "done"})))
async def answered(
    query: CallbackQuery, callback_data: SurveyCb, state: FSMContext, session: AsyncSession
) -> None:
    if (data := await _current(query, callback_data, state)) is None:
        return
    q = (await questions(session, data["survey_id"]))[data["pos"]]
    kind, action = QuestionKind(q.kind), callback_data.action
    if action == "pick" and kind in (QuestionKind.SINGLE, QuestionKind.RATING):
        value = button_int(callback_data.value)
        answer = Answer(rating=value) if kind == QuestionKind.RATING else Answer(choices=(value,))
        try:
            check_answer(q, answer)
        except SurveyError:
            await answer_query(query, _("This button is no longer active."))
            return
        await _next(query, state, session, {"r": value} if answer.rating else {"c": [value]})
    elif action == "skip" and kind == QuestionKind.TEXT:
        await _next(query, state, session, None)
    elif action == "done" and kind == QuestionKind.MULTI:
        picked = sorted(data.get("picked", []))
        if not picked:
            await answer_query(query, _("Tick at least one, then ✔ Done."), alert=True)
            return
        await _next(query, state, session, {"c": picked})
    else:
        await answer_query(query, _("This button is no longer active."))


@router.callback_query(Answering.question, SurveyCb.filter(F.action == "toggle"))
async def toggle(
    query: CallbackQuery, callback_data: SurveyCb, state: FSMContext, session: AsyncSession
) -> None:
    if (data := await _current(query, callback_data, state)) is None:
        return
    asked = await questions(session, data["survey_id"])
    q = asked[data["pos"]]
    index = button_int(callback_data.value)
    if q.kind != QuestionKind.MULTI or index >= len(q.options):
        await answer_query(query, _("This button is no longer active."))
        return
    picked = set(data.get("picked", []))
    picked ^= {index}
    await state.update_data(picked=sorted(picked))
    markup = _question(q, len(asked), data["survey_id"], sorted(picked))[1]
    await edit(
        query,
        query.message.html_text if isinstance(query.message, Message) else "",
        reply_markup=markup,
    )
    await answer_query(query)


@router.message(Answering.question, ~F.text.startswith("/"))
async def typed(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    q = (await questions(session, data["survey_id"]))[data["pos"]]
    if q.kind != QuestionKind.TEXT:
        await message.answer(_("Please answer with the buttons above."))
        return
    if (text := await read_text(message, max_len=TEXT_MAX)) is None:
        return
    answers = dict(data["answers"])
    answers[str(data["pos"])] = {"t": text}
    await state.update_data(answers=answers, pos=data["pos"] + 1)
    await _ask(message, state, session)


@router.message(Answering.submit)
async def typed_at_submit(message: Message) -> None:
    await message.answer(_("Please press 📨 Submit above, or open the survey again to start over."))


@router.callback_query(Answering.submit, SurveyCb.filter(F.action == "submit"))
async def submit(
    query: CallbackQuery,
    callback_data: SurveyCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
    state: FSMContext,
) -> None:
    if (data := await _current(query, callback_data, state)) is None:
        return
    found = await survey_of(query, session, data["survey_id"])
    if found is None or identity.person_id is None:
        return
    _survey, community = found
    answers = {
        int(pos): Answer(choices=tuple(a.get("c", ())), rating=a.get("r"), text=a.get("t"))
        for pos, a in data["answers"].items()
        if a
    }
    try:
        _response, counted = await submit_answers(
            session,
            survey_id=data["survey_id"],
            unit_id=data["unit_id"],
            person_id=identity.person_id,
            answers=answers,
            signed=callback_data.value == "signed",
            now=app.clock.now(),
            today=community_today(community, app.clock),
        )
    except SurveyError as exc:
        await state.clear()
        await reply(query, _submit_refusal(exc.code))
        return
    await state.clear()
    await edit(
        query,
        query.message.html_text if isinstance(query.message, Message) else "",
        reply_markup=None,
    )
    thanks = _("✅ Thank you! Your household's answer is recorded.")
    first = _("Someone in your household answered first; that answer counts, yours was not added.")
    await reply(query, thanks if counted else first)


def _submit_refusal(code: str) -> str:
    return {
        "closed": _("This survey is closed."),
        "not_resident": _("You no longer live in this household, so you cannot answer for it."),
    }.get(code, _("Your answers could not be recorded. Please open the survey and try again."))
