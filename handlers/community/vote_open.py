"""Opening an owners' vote (admin group, managers: ``votes.open``).

Steps: ``/vote`` → the question (at most 500 characters) → the kind of matter
(ordinary; special: ¾; starting an old-community renovation: 100%) → secret or
open ballot → the buildings (typed names, or the whole community) → the deadline
(``2026-12-20 18:00``, community time) → the check: the question and the rule →
"🗳 Open the vote": the vote, its units and the message to every owner are written
in one transaction (audited); a vote with no owner-units, or units without a
registered area, is refused and says why. Button steps go through :mod:`.steps`.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.models import NoticeKind, VoteMatter
from core.community.times import parse_moment
from core.community.votes import QUESTION_MAX, VoteError, open_vote, owners_of, vote_notice
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from handlers.community.callbacks import Compose
from handlers.community.steps import (
    Asked,
    ask,
    buildings_step,
    button,
    choice,
    keyboard,
    prompts,
    start_command,
)
from handlers.community.vote_views import matter_label, rule_text
from handlers.kit import admin_router, group_command, read_text, reply

router = admin_router("community.vote_open")

group_command("vote", __("Open an owners' vote"), order=52)

DEADLINE_EXAMPLE = "2026-12-20 18:00"


class VoteSteps(StatesGroup):
    question = State()
    matter = State()
    ballot = State()
    buildings = State()
    deadline = State()
    confirm = State()


choice("matter", VoteSteps.matter, {m.value for m in VoteMatter}, VoteSteps.ballot)
choice("ballot", VoteSteps.ballot, {"secret", "open"}, VoteSteps.buildings)


def _asked(step: str) -> Asked:
    """The question of each step of opening a vote."""
    if step == VoteSteps.question.state:
        text = _("🗳 A new owners' vote. What is the question? (at most {limit} characters)")
        return text.format(limit=QUESTION_MAX), None
    if step == VoteSteps.matter.state:
        matters = [[button(matter_label(m), "matter", m.value)] for m in VoteMatter]
        return _("What kind of matter is it? It decides the rule."), keyboard(*matters)
    if step == VoteSteps.ballot.state:
        return _("Secret or open ballot? In a secret vote staff see the turnout only."), keyboard(
            [button(_("🔒 Secret"), "ballot", "secret"), button(_("👁 Open"), "ballot", "open")]
        )
    if step == VoteSteps.buildings.state:
        text = _(
            "Which buildings vote? Send their names (e.g. 1栋, 3栋), or press “Whole community”."
        )
        return text, keyboard([button(_("🏘 Whole community"), "vote_buildings", "all")])
    text = _("When does voting close? Send a time such as {example} (community time).")
    return text.format(example=DEADLINE_EXAMPLE), None


prompts(_asked, VoteSteps.question, VoteSteps.matter, VoteSteps.ballot, VoteSteps.buildings)
prompts(_asked, VoteSteps.deadline)
start_command(router, "vote", "votes.open", VoteSteps.question)


async def _deadline_next(state: FSMContext) -> State:
    return VoteSteps.deadline


buildings_step(router, VoteSteps.buildings, "vote_buildings", _deadline_next)


@router.message(VoteSteps.question)
async def typed_question(message: Message, state: FSMContext) -> None:
    if (question := await read_text(message, max_len=QUESTION_MAX)) is not None:
        await state.update_data(question=question)
        await ask(message, state, VoteSteps.matter)


@router.message(VoteSteps.deadline, F.text)
async def typed_deadline(
    message: Message, state: FSMContext, community: Community, app: AppContext
) -> None:
    deadline = parse_moment(message.text or "", community.timezone)
    if deadline is None or deadline <= app.clock.now():
        await message.answer(
            _("Please send a future time such as {example}.").format(example=DEADLINE_EXAMPLE)
        )
        return
    await state.update_data(deadline=deadline.isoformat())
    await state.set_state(VoteSteps.confirm)
    data = await state.get_data()
    matter = VoteMatter(data["matter"])
    await message.answer(
        _("🗳 Check the vote:\n<b>{question}</b>\n{matter}\n{rule}").format(
            question=escape(data["question"]), matter=matter_label(matter), rule=rule_text(matter)
        ),
        reply_markup=keyboard([button(_("🗳 Open the vote"), "open_vote", "-")]),
    )


@router.callback_query(
    VoteSteps.confirm, Compose.filter(F.step == "open_vote"), flags={"staff": "votes.open"}
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
    now, today = app.clock.now(), community_today(community, app.clock)
    try:
        vote, units = await open_vote(
            session,
            community_id=community.id,
            person_id=identity.person_id,
            question=data["question"],
            matter=VoteMatter(data["matter"]),
            secret=data["ballot"] == "secret",
            building_ids=list(data["building_ids"]),
            deadline=datetime.fromisoformat(data["deadline"]),
            now=now,
            today=today,
        )
    except VoteError as exc:
        await reply(query, _refusal(exc))
        return
    owners = await owners_of(session, vote, today)
    await vote_notice(session, vote, NoticeKind.VOTE_OPEN, owners, now=now, today=today)
    await state.clear()
    await reply(
        query,
        _("🗳 Vote #{id} is open: {units} units entitled; {owners} owners are being told.").format(
            id=vote.id, units=units, owners=len(owners)
        ),
    )


def _refusal(exc: VoteError) -> str:
    if exc.code == "no_owner_units":
        return _("No unit in that audience has an owner living there: the vote cannot open.")
    if exc.code == "no_area":
        return _(
            "{count} entitled units have no floor area in the registry, and the vote counts "
            "area. Import the units' areas first."
        ).format(count=exc.count)
    if exc.code == "bad_deadline":
        return _("The deadline must be in the next 90 days. Start again with /vote.")
    return _("The vote could not be opened. Start again with /vote.")


@router.message(StateFilter(VoteSteps.matter, VoteSteps.ballot, VoteSteps.confirm))
async def reask_button(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or ✖ Cancel."))


@router.message(StateFilter(VoteSteps.buildings, VoteSteps.deadline))
async def reask_text(message: Message) -> None:
    await message.answer(_("Please answer in text, or press ✖ Cancel."))
