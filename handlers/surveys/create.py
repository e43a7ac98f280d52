"""Opening a survey (admin group, managers: ``surveys.create``).

Steps: ``/survey`` → the template: the yearly property-service survey (security,
cleaning, greening, repairs, fees, shared facilities rated 1–5; renewing the
contract; what to improve first; a free-text question), or "write my own"
(:mod:`.compose`: a title and the questions) → the deadline
(``2026-12-31 18:00``, community time) → the questions as residents will read
them → "📨 Open the survey": the survey, its questions and its households are
written in one transaction (audited); the residents are told by the survey job
(:mod:`.jobs`). A community with nobody living in it is refused, and says why.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.times import future_moment
from core.formatting import local_dt
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from core.surveys.models import QuestionKind, SurveyKind, SurveyQuestion
from core.surveys.service import LATEST, SurveyError, open_survey
from core.surveys.template import YEARLY, QuestionSpec
from handlers.kit import admin_router, answer_query, group_command, reply
from handlers.surveys.callbacks import SurveyStaff
from handlers.surveys.texts import option_label, question_text

router = admin_router("surveys.create")

group_command("survey", __("Open a survey of the households"), order=54)

DEADLINE_EXAMPLE = "2026-12-31 18:00"


class CreateSteps(StatesGroup):
    template = State()
    deadline = State()
    confirm = State()


def staff_keyboard(*rows: tuple[str, str]) -> InlineKeyboardMarkup:
    """One button a row, ``(text, action)`` or ``(text, "action:value")``, then ✖ Cancel."""
    buttons = []
    for text, action in (*rows, (_("✖ Cancel"), "cancel")):
        name, _sep, value = action.partition(":")
        data = SurveyStaff(action=name, value=value).pack()
        buttons.append([InlineKeyboardButton(text=text, callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=buttons)


@router.message(Command("survey"), StateFilter("*"), flags={"staff": "surveys.create"})
async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(CreateSteps.template)
    await state.set_data({})
    template = (_("📋 Yearly property-service survey (template)"), "template")
    custom = (_("✏️ Write my own questionnaire"), "custom")
    text = _("📋 A new survey of the households. Which one?")
    await reply(message, text, reply_markup=staff_keyboard(template, custom))


@router.callback_query(SurveyStaff.filter(F.action == "cancel"), StateFilter("*"))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await reply(query, _("Cancelled: no survey was opened."))


@router.callback_query(CreateSteps.template, SurveyStaff.filter(F.action == "template"))
async def chose_template(query: CallbackQuery, state: FSMContext) -> None:
    await ask_deadline(query, state)


async def ask_deadline(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CreateSteps.deadline)
    text = _("When does the survey close? Send a time such as {example} (community time).")
    await reply(event, text.format(example=DEADLINE_EXAMPLE))


def written(data: dict[str, Any]) -> list[QuestionSpec]:
    """The questions staff wrote, from the conversation's data."""
    return [
        QuestionSpec(None, QuestionKind(q["kind"]), tuple(q["options"]), q["text"])
        for q in data.get("questions", [])
    ]


def kind_name(kind: QuestionKind) -> str:
    return {
        QuestionKind.SINGLE: _("one choice"),
        QuestionKind.MULTI: _("several choices"),
        QuestionKind.RATING: _("rating 1–5"),
        QuestionKind.TEXT: _("free text"),
    }[kind]


def _preview(data: dict[str, Any]) -> str:
    if data.get("custom"):
        specs = written(data)
        lines = [_("📋 Check the questionnaire “{title}”:").format(title=escape(data["title"]))]
    else:
        specs = list(YEARLY)
        lines = [_("📋 Check the yearly property-service survey:")]
    for i, spec in enumerate(specs, start=1):
        q = SurveyQuestion(kind=spec.kind, key=spec.key, text=spec.text, options=list(spec.options))
        lines.append(f"{i}. {escape(question_text(q))} ({kind_name(spec.kind)})")
        lines.extend(f"   – {escape(option_label(q, n))}" for n in range(len(q.options)))
    lines.append(_("One answer per household; residents may sign their written answers."))
    return "\n".join(lines)


@router.message(CreateSteps.deadline, F.text)
async def typed_deadline(
    message: Message, state: FSMContext, community: Community, app: AppContext
) -> None:
    deadline = future_moment(message.text or "", community.timezone, app.clock.now(), LATEST)
    if deadline is not None:
        await state.update_data(deadline=deadline.isoformat())
        await state.set_state(CreateSteps.confirm)
        await message.answer(
            _preview(await state.get_data()),
            reply_markup=staff_keyboard((_("📨 Open the survey"), "open")),
        )
        return
    await message.answer(
        _("Please send a time in the next 90 days, such as {example}.").format(
            example=DEADLINE_EXAMPLE
        )
    )


@router.callback_query(
    CreateSteps.confirm, SurveyStaff.filter(F.action == "open"), flags={"staff": "surveys.create"}
)
async def confirm(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    data = await state.get_data()
    now = app.clock.now()
    custom = bool(data.get("custom"))
    try:
        survey, count = await open_survey(
            session,
            community_id=community.id,
            person_id=identity.person_id,
            kind=SurveyKind.CUSTOM if custom else SurveyKind.YEARLY,
            title=data["title"] if custom else str(local_dt(now, community.timezone).year),
            specs=written(data) if custom else list(YEARLY),
            deadline=datetime.fromisoformat(data["deadline"]),
            now=now,
            today=community_today(community, app.clock),
        )
    except SurveyError as exc:
        await state.clear()
        await reply(query, _refusal(exc.code))
        return
    await state.clear()
    await reply(
        query,
        _("📋 Survey #{id} is open to {count} households; their residents are being told.").format(
            id=survey.id, count=count
        ),
    )


def _refusal(code: str) -> str:
    return {
        "no_households": _("Nobody lives in the community yet: there is no one to ask."),
        "bad_deadline": _("The deadline has passed. Start again with /survey."),
    }.get(code, _("The questionnaire is not within the limits. Start again with /survey."))


@router.callback_query(
    StateFilter("*"),
    SurveyStaff.filter(F.action.in_({"template", "custom", "kind", "finish", "open"})),
)
async def other_press(query: CallbackQuery) -> None:
    await answer_query(query, _("This button is no longer active."))


@router.message(StateFilter(CreateSteps.template, CreateSteps.confirm))
async def reask_button(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))


@router.message(CreateSteps.deadline)
async def reask_text(message: Message) -> None:
    await message.answer(_("Please answer in text, or press ✖ Cancel."))
