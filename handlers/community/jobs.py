"""The notice delivery job (every few seconds, on the scheduler leader).

Steps: scheduled notices whose time has come start, outages get their reminder or
end rows → batches of recipients are claimed (committed) and sent concurrently
within the sender's limits, each marked as it is answered (the marks of 0.1 s
committed together; a shutdown lets the batch in flight finish and be marked)
→ an emergency notice is pinned in the resident's chat → a notice whose every
recipient is marked is reported in the admin group (delivered, failed, a button
for the figures per building). See :mod:`core.community.broadcast`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.notify import send_to_admin_group
from bot.sender import deliver
from core.community import broadcast
from core.community.event_lists import event_of_notice
from core.community.event_models import Event
from core.community.models import Notice, NoticeKind, Phase, Vote
from core.community.notices import NoticeDraft, notice_figures
from core.db import transaction
from core.models import Community
from core.scheduler import Scheduler
from handlers.community.event_jobs import run_events
from handlers.community.sending import put_notice
from handlers.community.views import figures_keyboard
from handlers.community.vote_jobs import run_votes

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH = 50
WORKERS = 3
FLUSH_S = 0.1


def register_notice_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("community.notices", lambda: run_notices(ctx), 5)
    scheduler.add_periodic("community.votes", lambda: run_votes(ctx), 30)
    scheduler.add_periodic("community.events", lambda: run_events(ctx), 60)


async def run_notices(ctx: AppContext) -> int:
    """Send whatever is due; how many messages went out."""
    with ctx.i18n.context():
        await broadcast.start_due(ctx.session_factory, ctx.clock.now())
        notices: dict[int, Loaded] = {}
        marks = _Marks(ctx)
        flusher = asyncio.create_task(marks.keep_flushing())
        try:
            # A few claimers, so that one batch's claim overlaps the sends of another:
            # the sender's global limit, not the database, sets the pace.
            # return_exceptions: when stopping, wait for every worker's batch in flight
            # (a plain gather ends with the first worker that stops).
            workers = (_worker(ctx, notices, marks) for _ in range(WORKERS))
            done = await asyncio.gather(*workers, return_exceptions=True)
            for outcome in done:
                if isinstance(outcome, BaseException):
                    raise outcome
            sent = sum(n for n in done if isinstance(n, int))
        finally:
            # Also when stopping: the flusher ends after writing what was answered
            # (cancelling it could roll back a write in progress).
            marks.stop.set()
            await flusher
        for notice_id in await broadcast.finish_sent(ctx.session_factory, ctx.clock.now()):
            await _report(ctx, notice_id)
        return sent


class _Marks:
    """The marks of answered sends, committed together every :data:`FLUSH_S`."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.items: list[broadcast.Mark] = []
        self.stop = asyncio.Event()

    async def flush(self) -> None:
        items, self.items = self.items, []
        if items:
            async with transaction(self.ctx.session_factory) as session:
                await broadcast.mark_many(session, items, self.ctx.clock.now())

    async def keep_flushing(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), FLUSH_S)
            await self.flush()
        await self.flush()  # what came in during the last write


async def _worker(ctx: AppContext, notices: dict[int, Loaded], marks: _Marks) -> int:
    """Claim a batch, send it, again, until nothing is due. Stopping (a shutdown's
    cancel) never cuts a step short: a claim in progress is completed and given
    back, a batch in flight is sent and marked; then the worker stops."""
    sent = 0
    while True:
        claims, stopping = await _uncut(
            broadcast.claim_batch(ctx.session_factory, ctx.clock.now(), BATCH)
        )
        if stopping:
            if claims:
                async with transaction(ctx.session_factory) as session:
                    await broadcast.release(session, *(c.delivery_id for c in claims))
            raise asyncio.CancelledError
        if not claims:
            return sent
        await _load(ctx, notices, {c.notice_id for c in claims})
        results, stopping = await _uncut(
            asyncio.gather(*(_send_one(ctx, c, notices, marks) for c in claims))
        )
        sent += sum(results)
        if stopping:
            raise asyncio.CancelledError


async def _uncut(step: Awaitable[T]) -> tuple[T, bool]:
    """Await ``step`` to its end even when cancelled; its result, and whether a
    cancel came meanwhile."""
    future = asyncio.ensure_future(step)
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
    return future.result(), cancelled


@dataclass(frozen=True)
class Loaded:
    draft: NoticeDraft
    community: Community
    vote: Vote | None
    event: Event | None = None


async def _load(ctx: AppContext, cache: dict[int, Loaded], ids: set[int]) -> None:
    missing = ids - cache.keys()
    if not missing:
        return
    async with ctx.session_factory() as session:
        for notice_id in missing:
            notice = await session.get(Notice, notice_id)
            assert notice is not None
            community = await session.get(Community, notice.community_id)
            assert community is not None
            vote = await session.get(Vote, notice.vote_id) if notice.vote_id else None
            event = (
                await event_of_notice(session, notice) if notice.kind == NoticeKind.EVENT else None
            )
            cache[notice_id] = Loaded(draft_of(notice), community, vote, event)


def draft_of(notice: Notice) -> NoticeDraft:
    return NoticeDraft(
        kind=notice.kind,
        audience=notice.audience,
        title=notice.title,
        body=notice.body,
        building_ids=list(notice.building_ids),
        unit_ids=list(notice.unit_ids or []),
        alt_locale=notice.alt_locale,
        alt_title=notice.alt_title,
        alt_body=notice.alt_body,
        attachment_kind=notice.attachment_kind,
        attachment_file_id=notice.attachment_file_id,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        extended=notice.extends_id is not None,
    )


async def _send_one(
    ctx: AppContext,
    claim: broadcast.Claim,
    notices: dict[int, Loaded],
    marks: _Marks,
) -> int:
    assert ctx.bot is not None
    loaded = notices[claim.notice_id]
    draft, community = loaded.draft, loaded.community
    if claim.telegram_id is None or claim.gave_up:
        reason = "gave_up" if claim.gave_up else "no_telegram"
        async with transaction(ctx.session_factory) as session:
            await broadcast.mark(
                session, claim.delivery_id, ok=False, now=ctx.clock.now(), reason=reason
            )
        return 0
    locale = claim.locale or ctx.settings.default_locale
    try:
        with ctx.i18n.use_locale(locale):
            result = await deliver(
                put_notice(
                    ctx.bot,
                    claim.telegram_id,
                    draft,
                    community.timezone,
                    claim.notice_id,
                    claim.phase,
                    loaded.vote,
                    loaded.event,
                )
            )
    except Exception:
        log.exception("notice send failed", extra={"fields": {"notice": claim.notice_id}})
        async with transaction(ctx.session_factory) as session:
            await broadcast.release(session, claim.delivery_id)
        return 0
    message_id = result.result.message_id if result.ok else None
    marks.items.append(broadcast.Mark(claim.delivery_id, result.ok, message_id, result.reason))
    if (
        message_id is not None
        and draft.kind == NoticeKind.EMERGENCY
        and claim.phase == Phase.NOTICE
    ):
        await deliver(
            ctx.bot.pin_chat_message(claim.telegram_id, message_id, disable_notification=True)
        )
    return int(result.ok)


async def _report(ctx: AppContext, notice_id: int) -> None:
    async with ctx.session_factory() as session:
        notice = await session.get(Notice, notice_id)
        assert notice is not None
        community = await session.get(Community, notice.community_id)
        assert community is not None
        figures = await notice_figures(session, notice_id)
    total = figures.total

    def build() -> str:
        text = _("📢 Notice #{id} “{title}” is sent: delivered {delivered} of {total}.").format(
            id=notice_id, title=escape(notice.title), delivered=total.delivered, total=total.total
        )
        if total.failed:
            text += "\n" + _("⚠️ {count} could not be reached (see the figures).").format(
                count=total.failed
            )
        return text

    await send_to_admin_group(
        ctx, community, build, reply_markup=lambda: figures_keyboard(notice_id)
    )
