"""Owners' votes on the staff side after opening (admin group, any staff:
``votes.view``).

Steps: ``/votes`` → the latest votes, each with a button → a vote's turnout: area
and owners against the ⅔ lines as text bars; an open ballot also shows the counts
and each unit's choice; a secret one shows the turnout only until it closes; a
closed vote shows its result.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.community.models import VoteStatus
from core.community.tally import Tally
from core.community.votes import (
    VoteError,
    current_tally,
    get_vote,
    open_ballot_list,
    recent_votes,
)
from core.identity import Identity
from core.models import Community
from handlers.community.callbacks import VoteStaff
from handlers.community.vote_views import (
    choice_label,
    count_lines,
    result_text,
    turnout_lines,
    vote_card,
)
from handlers.kit import admin_router, group_command, refuse_foreign, reply

router = admin_router("community.vote_staff")

group_command("votes", __("Owners' votes and their turnout"), order=53)


@router.message(Command("votes"), flags={"staff": "votes.view"})
async def list_votes(message: Message, session: AsyncSession, community: Community) -> None:
    votes = await recent_votes(session, community.id)
    if not votes:
        await message.answer(_("No votes yet. Open one with /vote."))
        return
    rows = [
        [
            InlineKeyboardButton(
                text=f"{'🗳' if v.status == VoteStatus.OPEN else '🏁'} #{v.id} {v.question}"[:60],
                callback_data=VoteStaff(action="turnout", vote_id=v.id).pack(),
            )
        ]
        for v in votes
    ]
    await message.answer(
        _("🗳 Latest votes:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(VoteStaff.filter(F.action == "turnout"), flags={"staff": "votes.view"})
async def turnout(
    query: CallbackQuery,
    callback_data: VoteStaff,
    session: AsyncSession,
    community: Community,
    identity: Identity,
) -> None:
    try:
        vote = await get_vote(session, callback_data.vote_id)
    except VoteError:
        vote = None
    if vote is None or vote.community_id != community.id:
        await refuse_foreign(
            query,
            session,
            identity,
            "votes.view",
            _("That vote is not of this community."),
            target_type="vote",
            target_id=callback_data.vote_id,
            community_id=community.id,
        )
        return
    if vote.result is not None:
        await reply(query, result_text(vote, Tally.from_dict(vote.result)))
        return
    live = await current_tally(session, vote)
    lines = [vote_card(vote, community.timezone), "", *turnout_lines(live)]
    if vote.secret:
        lines.append(_("🔒 Secret ballot: the choices are counted at the deadline."))
    else:
        lines += ["", *count_lines(live), ""]
        lines += [
            f"{escape(unit)}: {choice_label(choice)}"
            for unit, choice in await open_ballot_list(session, vote)
        ]
    await reply(query, "\n".join(lines))
