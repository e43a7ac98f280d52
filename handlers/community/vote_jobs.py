"""The owners' votes' job (every 30 s, on the scheduler leader).

Steps: votes past their deadline are tallied and closed (one transaction with
the result message queued to every owner of the vote's units) and the result is
posted in the admin group, with the PDF tally (:mod:`.vote_pdf`) — a claimed
send (:mod:`core.community.vote_posts`): a vote closed by a run that died before
posting is posted by the next run; every owner then gets the chart and the PDF tally
in their language, each claimed before it is sent (:mod:`core.sends`: a re-run or a
restart never sends them twice); open votes a day
from their deadline queue a reminder to the owners of units that have not voted.
The messages go through the notice delivery (:mod:`.jobs`), so they resume after a
restart like any notice.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import locale_of, send_to_admin_group
from bot.sender import Delivery, deliver
from core.community.models import NoticeKind, Vote
from core.community.tally import Tally
from core.community.vote_posts import result_post_key, unposted_results
from core.community.votes import close_due, due_reminders, owners_of, vote_notice
from core.db import transaction
from core.models import Community, Person
from core.residents.common import community_today
from core.sends import send_once
from handlers.community.vote_pdf import tally_chart, tally_pdf
from handlers.community.vote_views import result_text
from handlers.kit import group_locale

_Files = tuple[bytes, bytes | None, str]  # the chart, the PDF (None: no CJK font), caption


async def run_votes(ctx: AppContext) -> list[int]:
    """Close and remind what is due; the ids of the votes closed."""
    now = ctx.clock.now()
    told: dict[int, list[int]] = {}
    async with transaction(ctx.session_factory) as session:
        closed = await close_due(session, now)
        for vote in closed:
            today = await _today(session, vote, ctx)
            owners = await owners_of(session, vote, today)
            told[vote.id] = list(owners)
            await vote_notice(session, vote, NoticeKind.VOTE_RESULT, owners, now=now, today=today)
        for vote in await due_reminders(session, now):
            today = await _today(session, vote, ctx)
            late = await owners_of(session, vote, today, not_voted=True)
            await vote_notice(session, vote, NoticeKind.VOTE_REMINDER, late, now=now, today=today)
    async with ctx.session_factory() as session:
        unposted = await unposted_results(session, now)
    with ctx.i18n.context():
        for vote in unposted:  # claimed first: a run after a crash posts what is left
            await send_once(
                ctx.session_factory,
                result_post_key(vote.id),
                now,
                partial(_post_result, ctx, vote),
                delivered=lambda _: True,
            )
        for vote in closed:
            await _send_files(ctx, vote, told[vote.id])
    return [v.id for v in closed]


async def _send_files(ctx: AppContext, vote: Vote, people: list[int]) -> None:
    """The chart and the PDF tally to each owner, in their language (one render each)."""
    assert vote.result is not None and ctx.bot is not None
    tally = Tally.from_dict(vote.result)
    rendered: dict[str, _Files] = {}
    for person_id in people:
        async with ctx.session_factory() as session:
            person = await session.get(Person, person_id)
        if person is None or person.telegram_id is None:
            continue
        locale = locale_of(ctx, person)
        if locale not in rendered:
            with ctx.i18n.use_locale(locale):
                caption = _("🗳 The tally of vote #{id}: chart and PDF").format(id=vote.id)
                rendered[locale] = (
                    await tally_chart(vote, tally),
                    await tally_pdf(vote, tally),
                    caption,
                )
        chat, files = person.telegram_id, rendered[locale]

        async def send(chat: int = chat, files: _Files = files) -> Delivery:
            return await _files(ctx, chat, vote, files)

        await send_once(
            ctx.session_factory,
            f"votes.result_files:{vote.id}:{person_id}",
            ctx.clock.now(),
            send,
            delivered=_delivered,
        )


def _delivered(delivery: Delivery) -> bool:
    return delivery.ok


async def _files(ctx: AppContext, chat_id: int, vote: Vote, files: _Files) -> Delivery:
    assert ctx.bot is not None
    chart, pdf, caption = files
    sent = await deliver(
        ctx.bot.send_photo(
            chat_id, BufferedInputFile(chart, filename=f"vote-{vote.id}.png"), caption=caption
        )
    )
    if sent.ok and pdf is not None:
        sent = await deliver(
            ctx.bot.send_document(chat_id, BufferedInputFile(pdf, filename=f"vote-{vote.id}.pdf"))
        )
    return sent


async def _today(session: AsyncSession, vote: Vote, ctx: AppContext) -> date:
    community = await session.get(Community, vote.community_id)
    assert community is not None
    return community_today(community, ctx.clock)


async def _post_result(ctx: AppContext, vote: Vote) -> None:
    async with ctx.session_factory() as session:
        community = await session.get(Community, vote.community_id)
    assert community is not None and vote.result is not None
    tally = Tally.from_dict(vote.result)
    await send_to_admin_group(
        ctx,
        community,
        lambda: result_text(vote, tally) + "\n" + _("The result is being sent to every owner."),
    )
    if community.admin_chat_id is None or ctx.bot is None:
        return
    with ctx.i18n.use_locale(group_locale(ctx, community)):
        pdf = await tally_pdf(vote, tally)
        if pdf is not None:
            await deliver(
                ctx.bot.send_document(
                    community.admin_chat_id,
                    BufferedInputFile(pdf, filename=f"vote-{vote.id}.pdf"),
                    caption=_("🗳 The tally of vote #{id} (PDF)").format(id=vote.id),
                )
            )
