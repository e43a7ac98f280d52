"""The six-monthly statement of accounts to every resident.

Steps:
1. on the first days of January and July (community time, outside quiet hours)
   the previous half-year's statement run is recorded once per community, with
   one outbox message per active resident (core.fees.statement_runs);
2. the outbox worker (handlers.fees.outbox) delivers them at Telegram's pace,
   each as text, chart and PDF. Each statement is rendered and uploaded once per
   language: later recipients get the same PDF and chart by Telegram file id.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram.types import BufferedInputFile

from bot.context import AppContext
from bot.sender import Delivery, deliver
from core.communities import list_communities
from core.db import transaction
from core.fees import outbox
from core.fees.accounts import build_statement, render_statement
from core.fees.models import FeeStatement
from core.fees.runtime import CachedStatement
from core.fees.statement_runs import publish_statement, statement_delivery, statement_due
from core.models import Community
from handlers.fees.parts import copy_note, send_parts, text_part
from handlers.fees.texts import locale_for, translations

log = logging.getLogger(__name__)


async def publish_due_statements(ctx: AppContext) -> int:
    """Publish the previous half-year's statement where it is due; how many were queued."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        communities = await list_communities(session)
    queued = 0
    for community in communities:
        due = statement_due(community, now)
        if due is None:
            continue
        start, end = due
        async with transaction(ctx.session_factory) as session:
            count = await publish_statement(
                session, community, start, end, trigger="schedule", now=now
            )
        if count:
            log.info(
                "statement published",
                extra={"fields": {"community": community.id, "recipients": count}},
            )
        queued += count
    return queued


async def _rendered(
    ctx: AppContext, statement: FeeStatement, community: Community, locale: str
) -> CachedStatement:
    rt = ctx.fees
    key = (statement.id, locale)
    async with rt.lock:
        cached = rt.statement_cache.get(key)
        if cached is not None:
            return cached
        async with ctx.session_factory() as session:
            data = await build_statement(
                session,
                community,
                statement.period_start,
                statement.period_end,
                as_of=statement.created_at,
            )
        rendered = render_statement(data, locale=locale, translations=translations(ctx, locale))
        pdf = await asyncio.to_thread(rendered.pdf)
        png = await asyncio.to_thread(rendered.chart)
        cached = CachedStatement(rendered.text, pdf, png, rendered.filename)
        rt.remember_statement(key, cached)
        return cached


async def send_statement(ctx: AppContext, item: outbox.OutboxItem) -> tuple[bool, str | None]:
    assert ctx.bot is not None
    async with ctx.session_factory() as session:
        found = await statement_delivery(
            session, int(item.payload["statement_id"]), item.community_id, item.person_id
        )
    if found is None:
        return False, "no_statement"
    locale = locale_for(ctx, found.person, found.community)
    doc = await _rendered(ctx, found.statement, found.community, locale)
    bot = ctx.bot
    note = copy_note(ctx, locale)
    text = text_part(ctx, item.chat_id, doc.text, note)

    async def chart(again: bool) -> Delivery | None:
        if doc.png is None:
            return None
        photo: Any = doc.png_file_id or BufferedInputFile(doc.png, filename="accounts.png")
        sent = await deliver(bot.send_photo(item.chat_id, photo, caption=note if again else None))
        if doc.png_file_id is None and sent.result is not None and sent.result.photo:
            doc.png_file_id = sent.result.photo[-1].file_id
        return sent

    async def pdf(again: bool) -> Delivery | None:
        if doc.pdf is None:
            return None
        document: Any = doc.pdf_file_id or BufferedInputFile(doc.pdf, filename=doc.filename)
        caption = note if again else None
        sent = await deliver(bot.send_document(item.chat_id, document, caption=caption))
        if doc.pdf_file_id is None and sent.result is not None and sent.result.document:
            doc.pdf_file_id = sent.result.document.file_id
        return sent

    return await send_parts(ctx, item, [text, chart, pdf])
