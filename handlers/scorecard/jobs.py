"""The monthly publication of the scorecard to residents (a periodic job, on the
scheduler's leader).

Every ten minutes: in each community whose previous month's scorecard is due
(:func:`core.scorecard.publish.month_due`, the 1st to the 7th from 09:00 local)
and not published yet, each active resident gets the message, the chart and the
PDF in their language, each claimed before it is sent (:mod:`core.sends`: a
second run or process sends nothing twice). Then the admin group is told how many
got it and who could not be reached (a blocked bot); that summary, claimed too,
marks the month as published.
"""

from __future__ import annotations

import logging
from datetime import date
from html import escape

from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.notify import locale_of, send_to_admin_group
from bot.sender import Delivery, deliver
from core.formatting import local_dt
from core.models import Community, Person
from core.scheduler import Scheduler
from core.scorecard.figures import Scorecard, month_scorecard
from core.scorecard.publish import (
    communities_with_records,
    month_due,
    published,
    recipients,
    send_key,
    summary_key,
)
from core.sends import send_once
from handlers.scorecard.sending import RenderedScorecard, render_for_residents

log = logging.getLogger(__name__)


def _ok(delivery: Delivery | None) -> bool:
    return delivery is not None and delivery.ok


async def _send_card(
    ctx: AppContext,
    person: Person,
    rendered: RenderedScorecard,
) -> Delivery:
    assert ctx.bot is not None and person.telegram_id is not None
    delivery = await deliver(ctx.bot.send_message(person.telegram_id, rendered.text))
    if not delivery.ok:
        return delivery
    await deliver(
        ctx.bot.send_photo(person.telegram_id, BufferedInputFile(rendered.chart, "scorecard.png"))
    )
    if rendered.pdf is not None:
        document = BufferedInputFile(rendered.pdf, rendered.filename)
        await deliver(ctx.bot.send_document(person.telegram_id, document))
    return delivery


async def _publish(ctx: AppContext, community: Community, month: date) -> int:
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        card: Scorecard = await month_scorecard(session, community, month, now)
        people = await recipients(session, community, local_dt(now, community.timezone).date())
    cache: dict[str, RenderedScorecard] = {}
    sent, unreachable = 0, []
    for person in people:
        locale = locale_of(ctx, person)

        async def send(person: Person = person, locale: str = locale) -> Delivery:
            if locale not in cache:
                with ctx.i18n.use_locale(locale):
                    cache[locale] = await render_for_residents(card, community.name, locale)
            return await _send_card(ctx, person, cache[locale])

        key = send_key(community.id, month, person.id)
        outcome: tuple[bool, Delivery | None] = await send_once(
            ctx.session_factory, key, now, send, delivered=_ok
        )
        claimed, result = outcome
        if claimed and result is not None:
            if result.ok:
                sent += 1
            else:
                unreachable.append(person.full_name or "—")

    def summary() -> str:
        text = _("📊 The scorecard of {month} was sent; residents who got it: {count}.").format(
            month=f"{month:%Y-%m}", count=sent
        )
        if unreachable:
            text += "\n" + _("Could not reach (the bot is blocked): {names}").format(
                names=escape("、".join(unreachable))
            )
        return text

    await send_once(
        ctx.session_factory,
        summary_key(community.id, month),
        now,
        lambda: send_to_admin_group(ctx, community, summary),
        delivered=_ok,
    )
    log.info(
        "scorecard published",
        extra={"fields": {"community": community.id, "month": f"{month:%Y-%m}", "sent": sent}},
    )
    return sent


async def publish_job(ctx: AppContext) -> int:
    if ctx.bot is None:
        return 0
    now = ctx.clock.now()
    due: list[tuple[Community, date]] = []
    async with ctx.session_factory() as session:
        for community in await communities_with_records(session):
            month = month_due(community, now)
            if month is not None and not await published(session, community.id, month):
                due.append((community, month))
    return sum([await _publish(ctx, community, month) for community, month in due])


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("scorecard.publish", lambda: publish_job(ctx), 600)
