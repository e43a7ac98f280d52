"""The step engine the staff conversations share (a notice, a vote): each step's
question is registered once (:func:`prompt`), a button step's choices too
(:func:`choice`); one handler takes every choice, one every "✖ Cancel", and
:func:`take_buildings` reads the buildings step of either flow.

Steps: a flow calls :func:`ask` with its next state → the question is asked → a
press on a registered choice is stored under the step's name and the next step is
asked; a press in another state is answered and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.models import Audience
from core.community.notices import buildings_by_name
from core.models import Community
from handlers.community.callbacks import Compose
from handlers.kit import admin_router, answer_query, read_text, reply

router = admin_router("community.steps")

Asked = tuple[str, InlineKeyboardMarkup | None]
Prompt = Callable[[str], Asked]  # the state's name -> its question
PROMPTS: dict[str, Prompt] = {}
NextStep = Callable[[FSMContext], Awaitable[State]]
# A button step: its name -> (the state it is pressed in, its values, the next state
# or what chooses it).
CHOICES: dict[str, tuple[State, frozenset[str], State | NextStep]] = {}


def prompts(func: Prompt, *steps: State) -> None:
    """``func`` asks the question of each of ``steps``."""
    for step in steps:
        PROMPTS[str(step.state)] = func


def choice(name: str, at: State, values: set[str], after: State | NextStep) -> None:
    CHOICES[name] = (at, frozenset(values), after)


def button(text: str, step: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Compose(step=step, value=value).pack())


def cancel_row() -> list[InlineKeyboardButton]:
    return [button(_("✖ Cancel"), "cancel", "-")]


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


async def ask(message: Message, state: FSMContext, step: State) -> None:
    """Move the conversation to ``step`` and ask its question."""
    await state.set_state(step)
    text, markup = PROMPTS[str(step.state)](str(step.state))
    await message.answer(text, reply_markup=markup)


@router.callback_query(Compose.filter(F.step == "cancel"), StateFilter("*"))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await reply(query, _("Cancelled: nothing was sent."))


@router.callback_query(Compose.filter(F.step.in_(CHOICES)))
async def chose(query: CallbackQuery, callback_data: Compose, state: FSMContext) -> None:
    await answer_query(query)
    at, values, after = CHOICES[callback_data.step]
    here = await state.get_state()
    if here == at.state and callback_data.value in values and isinstance(query.message, Message):
        await state.update_data({callback_data.step: callback_data.value})
        await ask(query.message, state, after if isinstance(after, State) else await after(state))


async def take_buildings(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, community: Community
) -> Message | None:
    """Store the buildings step's answer ("whole community" pressed, or names typed);
    the message to go on from, or None having said which names are unknown."""
    if isinstance(event, CallbackQuery):
        await answer_query(event)
        ids: list[int] = []
        names: list[str] = []
        assert isinstance(event.message, Message)
        message = event.message
    else:
        message = event
        known = await buildings_by_name(session, community.id)
        names = list(dict.fromkeys(n for n in re.split(r"[,，、;；\s]+", event.text or "") if n))
        unknown = [n for n in names if n not in known]
        if not names or unknown:
            await event.answer(
                _("I don't know {unknown}. The buildings are: {known}.").format(
                    unknown="、".join(unknown) or "—", known="、".join(sorted(known)) or "—"
                )
            )
            return None
        ids = [known[n].id for n in names]
    await state.update_data(building_ids=ids, building_names=names)
    return message


def start_command(router: Router, command: str, action: str, first: State) -> None:
    """``/<command>`` (staff allowed ``action``) starts a flow afresh at ``first``."""

    async def start(message: Message, state: FSMContext) -> None:
        await state.set_data({})
        await ask(message, state, first)

    router.message(Command(command), StateFilter("*"), flags={"staff": action})(start)


def buildings_step(router: Router, at: State, button_step: str, after: NextStep) -> None:
    """The buildings step at ``at``: "whole community" (the ``button_step`` button)
    or typed names, then the state ``after`` chooses."""

    async def buildings(
        event: Message | CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        community: Community,
    ) -> None:
        message = await take_buildings(event, state, session, community)
        if message is not None:
            await ask(message, state, await after(state))

    router.callback_query(at, Compose.filter(F.step == button_step))(buildings)
    router.message(at, F.text)(buildings)


# A words step: the draft field it fills, its limit, and the step after it.
Words = dict[str | None, tuple[str, int, State]]


def words_steps(router: Router, words: Words, *steps: State) -> None:
    """Text steps: each of ``steps`` stores its text (within its limit, else asks
    again naming the limit) under its field and asks the next step."""

    async def typed_words(message: Message, state: FSMContext) -> None:
        field, limit, after = words[str(await state.get_state())]
        text = await read_text(message, max_len=limit)
        if text is not None:
            await state.update_data({field: text})
            await ask(message, state, after)

    router.message(StateFilter(*steps))(typed_words)


def audience_then(field: str, units: State, buildings: State) -> NextStep:
    """After the audience button: the units step for "some units", else buildings."""

    async def after(state: FSMContext) -> State:
        return units if (await state.get_data())[field] == Audience.UNITS.value else buildings

    return after


def audience_question(text: str, step: str) -> Asked:
    """Who a notice or an event is for: everyone, owners, tenants or some units."""
    return text, keyboard(
        [button(_("Every resident"), step, Audience.ALL.value)],
        [
            button(_("Owners only"), step, Audience.OWNERS.value),
            button(_("Tenants only"), step, Audience.TENANTS.value),
        ],
        [button(_("🚪 Some units"), step, Audience.UNITS.value)],
    )


def buildings_question(step: str) -> Asked:
    text = _(
        "Which buildings? Send their names separated by commas (e.g. 1栋, 3栋), "
        "or press “Whole community”."
    )
    return text, keyboard([button(_("🏘 Whole community"), step, "all")])


def units_question() -> Asked:
    return _("Which units? Send them separated by commas, e.g. 1栋 101, 3栋 301"), keyboard()
