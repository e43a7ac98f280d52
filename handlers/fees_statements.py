"""The six-monthly statement of accounts to every resident.

On the first days of January and July (community time, outside quiet hours)
the previous half-year's statement is created once per community and one
outbox message is queued per active resident; the outbox worker delivers them
at Telegram's pace. Each statement is rendered and uploaded once per language:
later recipients get the same PDF and chart by Telegram file id.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import BufferedInputFile
from sqlalchemy import func, or_, select

from bot.context import AppContext
from bot.sender import deliver
from core.db import transaction
from core.fees import outbox
from core.fees.accounts import build_statement, half_year_bounds, render_statement
from core.fees.common import in_quiet_hours, local_today
from core.fees.models import FeeStatement
from core.models import Community, Person, Residency, ResidencyStatus, Unit
from handlers.fees_jobs import STATEMENT, locale_for, runtime, translations

log = logging.getLogger(__name__)

# Statements go out in the first two weeks of January and July (a missed day is
# caught up); residents ask for any other period with /accounts.
PUBLISH_WITHIN_DAYS = 14


@dataclass
class CachedStatement:
    text: str
    pdf: bytes | None
    png: bytes | None
    filename: str
    pdf_file_id: str | None = None
    png_file_id: str | None = None


async def publish_due_statements(ctx: AppContext) -> int:
    """Create the previous half-year's statement where it is due; queue deliveries."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        communities = (await session.scalars(select(Community))).all()
    queued = 0
    for community in communities:
        if in_quiet_hours(community, now):
            continue
        today = local_today(community, now)
        start, end = half_year_bounds(today, previous=True)
        if (today - end).days >= PUBLISH_WITHIN_DAYS:
            # Not a fresh half-year: a new deployment does not send old statements.
            continue
        queued += await publish_statement(ctx, community, start, end, trigger="schedule", now=now)
    return queued


async def publish_statement(
    ctx: AppContext,
    community: Community,
    start: Any,
    end: Any,
    *,
    trigger: str,
    now: datetime,
    actor_person_id: int | None = None,
) -> int:
    """Queue the statement for every active resident (once per period and trigger)."""
    async with transaction(ctx.session_factory) as session:
        exists = await session.scalar(
            select(func.count())
            .select_from(FeeStatement)
            .where(
                FeeStatement.community_id == community.id,
                FeeStatement.period_start == start,
                FeeStatement.period_end == end,
                FeeStatement.trigger == trigger,
            )
        )
        if exists:
            return 0
        today = local_today(community, now)
        people = (
            await session.scalars(
                select(Person)
                .join(Residency, Residency.person_id == Person.id)
                .join(Unit, Unit.id == Residency.unit_id)
                .where(
                    Unit.community_id == community.id,
                    Residency.status == ResidencyStatus.ACTIVE,
                    or_(Residency.end_date.is_(None), Residency.end_date >= today),
                    Person.telegram_id.is_not(None),
                )
                .distinct()
                .order_by(Person.id)
            )
        ).all()
        statement = FeeStatement(
            community_id=community.id,
            period_start=start,
            period_end=end,
            trigger=trigger,
            recipients=len(people),
            actor_person_id=actor_person_id,
            created_at=now,
        )
        session.add(statement)
        await session.flush()
        for person in people:
            assert person.telegram_id is not None
            await outbox.enqueue(
                session,
                kind=STATEMENT,
                community_id=community.id,
                person_id=person.id,
                chat_id=person.telegram_id,
                dedupe_key=f"statement:{statement.id}:{person.telegram_id}",
                payload={"statement_id": statement.id},
                now=now,
            )
    log.info(
        "statement published",
        extra={"fields": {"community": community.id, "recipients": len(people)}},
    )
    return len(people)


async def _rendered(
    ctx: AppContext, statement: FeeStatement, community: Community, locale: str
) -> CachedStatement:
    rt = runtime(ctx)
    key = (statement.id, locale)
    async with rt.lock:
        cached = rt.statement_cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
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
        if len(rt.statement_cache) > 32:
            rt.statement_cache.clear()
        rt.statement_cache[key] = cached
        return cached


async def send_statement(ctx: AppContext, item: outbox.OutboxItem) -> tuple[bool, str | None]:
    assert ctx.bot is not None
    async with ctx.session_factory() as session:
        statement = await session.get(FeeStatement, int(item.payload["statement_id"]))
        community = await session.get(Community, item.community_id)
        person = await session.get(Person, item.person_id) if item.person_id else None
    if statement is None or community is None:
        return False, "no_statement"
    locale = locale_for(ctx, person, community)
    doc = await _rendered(ctx, statement, community, locale)
    step = item.step
    if step < 1:
        sent = await deliver(ctx.bot.send_message(item.chat_id, doc.text))
        if not sent.ok:
            return False, sent.reason
        step = 1
        await outbox.mark_step(ctx.session_factory, item.id, step)
    if step < 2:
        if doc.png is not None:
            photo: Any = doc.png_file_id or BufferedInputFile(doc.png, filename="accounts.png")
            sent = await deliver(ctx.bot.send_photo(item.chat_id, photo))
            if not sent.ok:
                return False, sent.reason
            if doc.png_file_id is None and sent.result is not None and sent.result.photo:
                doc.png_file_id = sent.result.photo[-1].file_id
        step = 2
        await outbox.mark_step(ctx.session_factory, item.id, step)
    if step < 3:
        if doc.pdf is not None:
            document: Any = doc.pdf_file_id or BufferedInputFile(doc.pdf, filename=doc.filename)
            sent = await deliver(ctx.bot.send_document(item.chat_id, document))
            if not sent.ok:
                return False, sent.reason
            if doc.pdf_file_id is None and sent.result is not None and sent.result.document:
                doc.pdf_file_id = sent.result.document.file_id
        await outbox.mark_step(ctx.session_factory, item.id, 3)
    return True, None
