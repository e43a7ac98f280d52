"""Owners' votes on the owner's side (private chat).

Steps: "🗳 Votes" in the home menu (owners only; or the "Vote now" button of a
vote's message) → the votes on the units they own → a vote: its question, the rule,
the deadline, and per unit either the ballot already cast (by whom and when — a
co-owner sees it) or the three choices → "Cast: Agree for 1栋-101?" → "Confirm":
the ballot is cast, for good. The first owner's ballot counts; a later co-owner is
shown it. After the deadline the vote answers "closed" and shows the result.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.models import Vote, VoteChoice, VoteStatus
from core.community.tally import Tally
from core.community.votes import VoteError, cast_ballot, get_vote, my_units, votes_of_owner
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.models import Community, Person, ResidencyRole
from core.residents.common import community_today
from handlers.community.callbacks import VoteCb
from handlers.community.vote_views import choice_label, result_text, vote_card
from handlers.kit import answer_query, menu_entry, private_command, private_router, reply

router = private_router("community.vote_resident")


def owners(identity: Identity) -> bool:
    return any(u.role == ResidencyRole.OWNER for u in identity.units)


menu_entry("votes", __("🗳 Votes"), owners, order=16)
private_command("votes", __("Owners' votes"), order=16)


def _button(text: str, **data: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=VoteCb(**data).pack())  # type: ignore[arg-type]


@router.callback_query(F.data == "menu:votes", StateFilter("*"))
@router.message(Command("votes"), StateFilter("*"))
async def list_votes(
    event: Message | CallbackQuery, identity: Identity, session: AsyncSession, app: AppContext
) -> None:
    if identity.person_id is None or not owners(identity):
        await reply(event, _("Owners' votes are for owners of a unit."))
        return
    community = await session.get(Community, identity.units[0].community_id)
    assert community is not None
    today = community_today(community, app.clock)
    votes = await votes_of_owner(session, identity.person_id, app.clock.now(), today)
    if not votes:
        await reply(event, _("There is no vote on your units now."))
        return
    rows = [
        [
            _button(
                f"{'🗳' if v.status == VoteStatus.OPEN else '🏁'} {v.question}"[:60],
                action="open",
                vote_id=v.id,
            )
        ]
        for v in votes
    ]
    await reply(
        event, _("🗳 Votes on your units:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(VoteCb.filter(F.action == "open"))
async def open_vote_card(
    query: CallbackQuery,
    callback_data: VoteCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if found := await _vote(query, session, callback_data.vote_id, identity):
        text, markup = await _card(session, app, *found)
        await reply(query, text, reply_markup=markup)


async def _vote(
    query: CallbackQuery, session: AsyncSession, vote_id: int, identity: Identity
) -> tuple[Vote, Community, int] | None:
    """The vote a button is about, its community and the presser; None (answered)
    when there is no such vote or the presser is unknown."""
    try:
        vote = await get_vote(session, vote_id)
    except VoteError:
        vote = None
    community = await session.get(Community, vote.community_id) if vote else None
    if vote is None or community is None or identity.person_id is None:
        await answer_query(query)
        return None
    return vote, community, identity.person_id


async def _card(
    session: AsyncSession, app: AppContext, vote: Vote, community: Community, person_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The vote as this owner sees it: text, and the choices for units not voted."""
    today = community_today(community, app.clock)
    units = await my_units(session, vote, person_id, today)
    closed = vote.status != VoteStatus.OPEN or app.clock.now() >= vote.deadline
    if vote.result is not None:
        text = result_text(vote, Tally.from_dict(vote.result))
    else:
        text = vote_card(vote, community.timezone)
        if closed:
            text += "\n" + _("Voting is closed; the result comes soon.")
    rows: list[list[InlineKeyboardButton]] = []
    lines = [text, ""]
    for unit in units:
        if unit.ballot is not None:
            voter = await session.get(Person, unit.ballot.cast_by_person_id or 0)
            lines.append(
                _("{unit}: {choice} — cast by {name}, {time}").format(
                    unit=unit.label,
                    choice=choice_label(VoteChoice(unit.ballot.choice)),
                    name=voter.full_name if voter else _("an owner"),
                    time=fmt_short_datetime(
                        unit.ballot.cast_at, community.timezone, get_i18n().current_locale
                    ),
                )
            )
        elif closed:
            lines.append(_("{unit}: did not vote").format(unit=unit.label))
        else:
            lines.append(_("{unit}: not voted yet").format(unit=unit.label))
            rows.append(
                [
                    _button(
                        f"{unit.label} {choice_label(c)}",
                        action="choose",
                        vote_id=vote.id,
                        unit_id=unit.unit_id,
                        choice=c.value,
                    )
                    for c in VoteChoice
                ]
            )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.callback_query(VoteCb.filter(F.action == "choose"))
async def choose(query: CallbackQuery, callback_data: VoteCb) -> None:
    """Ask once more: a ballot cannot be changed."""
    choice = VoteChoice(callback_data.choice)
    confirm = callback_data.model_copy(update={"action": "cast"})
    back = VoteCb(action="open", vote_id=callback_data.vote_id)
    await reply(
        query,
        _("Cast {choice} for your unit? A ballot cannot be changed afterwards.").format(
            choice=choice_label(choice)
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text=_("🗳 Confirm"), callback_data=confirm.pack()),
                    InlineKeyboardButton(text=_("↩️ Back"), callback_data=back.pack()),
                ]
            ]
        ),
    )


@router.callback_query(VoteCb.filter(F.action == "cast"))
async def cast(
    query: CallbackQuery,
    callback_data: VoteCb,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    found = await _vote(query, session, callback_data.vote_id, identity)
    if found is None:
        return
    vote, community, person_id = found
    try:
        ballot, counted = await cast_ballot(
            session,
            vote_id=vote.id,
            unit_id=callback_data.unit_id,
            person_id=person_id,
            choice=VoteChoice(callback_data.choice),
            now=app.clock.now(),
            today=community_today(community, app.clock),
        )
    except VoteError as exc:
        await reply(query, _cast_refusal(exc.code), alert=True)
        return
    if counted:
        await answer_query(query, _("Your ballot is cast. Thank you!"))
    elif ballot.cast_by_person_id == person_id:
        await answer_query(
            query, _("You have already cast this unit's ballot; it cannot be changed."), alert=True
        )
    else:
        await answer_query(
            query, _("A co-owner cast this unit's ballot first; that one counts."), alert=True
        )
    text, markup = await _card(session, app, vote, community, person_id)
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup)


def _cast_refusal(code: str) -> str:
    return {
        "closed": _("This vote is closed."),
        "not_owner": _("Only an owner of the unit can cast its ballot."),
        "not_entitled": _("This unit does not take part in this vote."),
    }.get(code, _("The ballot could not be cast."))
