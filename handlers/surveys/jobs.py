"""The survey job (every 30 s, on the scheduler leader).

Steps: a survey just opened → every resident of its households is told, with an
"Answer now" button → a survey two days from its deadline → the residents of
households that have not answered are reminded → a survey past its deadline is
closed and its results (text, chart, PDF) are posted in the admin group. Every
message is claimed before it is sent (:mod:`core.sends`): a re-run or a restart in
the middle resumes with those not claimed yet and never sends one twice. The
survey is marked told (reminded) once every message went out; how many residents
could not be reached is posted for staff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from bot.sender import Delivery
from core.db import transaction
from core.formatting import fmt_short_datetime
from core.models import Community, Person
from core.residents.common import community_today
from core.scheduler import Scheduler
from core.sends import send_once
from core.surveys.models import Survey
from core.surveys.results import survey_results
from core.surveys.rounds import close_due, due_reminders, residents_of, to_announce
from core.surveys.service import questions
from handlers.kit import group_locale
from handlers.surveys.resident import answer_button
from handlers.surveys.staff import post_results
from handlers.surveys.texts import survey_card, survey_title


def register_survey_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("surveys.run", lambda: run_surveys(ctx), 30)


async def run_surveys(ctx: AppContext) -> list[int]:
    """Tell, remind and close what is due; the ids of the surveys closed."""
    with ctx.i18n.context():
        async with ctx.session_factory() as session:
            opened = await to_announce(session)
            reminding = await due_reminders(session, ctx.clock.now())
        for survey in opened:
            await _tell(ctx, survey, "invite")
        for survey in reminding:
            await _tell(ctx, survey, "remind")
        async with transaction(ctx.session_factory) as session:
            closed = await close_due(session, ctx.clock.now())
        for survey in closed:
            await _post_results(ctx, survey)
    return [s.id for s in closed]


async def _tell(ctx: AppContext, survey: Survey, what: str) -> None:
    """Invite (or remind) the survey's residents, each message claimed first."""
    async with ctx.session_factory() as session:
        community = await session.get(Community, survey.community_id)
        assert community is not None
        today = community_today(community, ctx.clock)
        people = await residents_of(session, survey, today, not_answered=what == "remind")
        count = len(await questions(session, survey.id))
    failed = 0
    for person_id in people:
        async with ctx.session_factory() as session:
            person = await session.get(Person, person_id)
        if person is None:
            continue
        build = _builder(survey, community, count, what)
        send = _sender(ctx, person, build, survey.id)
        key = f"surveys.{what}:{survey.id}:{person_id}"
        outcome = await send_once(
            ctx.session_factory, key, ctx.clock.now(), send, delivered=_delivered
        )
        failed += outcome[1] is not None and not outcome[1].ok
    async with transaction(ctx.session_factory) as session:
        row = await session.get(Survey, survey.id)
        assert row is not None
        if what == "invite":
            row.announced_at = ctx.clock.now()
        else:
            row.reminded_at = ctx.clock.now()
    if failed:
        await send_to_admin_group(
            ctx,
            community,
            lambda: _(
                "📝 {title}: {count} residents could not be reached "
                "(blocked the bot or not on Telegram)."
            ).format(title=survey_title(survey), count=failed),
        )


def _delivered(delivery: Delivery) -> bool:
    return delivery.ok


def _builder(survey: Survey, community: Community, count: int, what: str) -> Callable[[], str]:
    def build() -> str:
        if what == "remind":
            return _("⏰ Your household has not answered “{title}” yet. It closes {time}.").format(
                title=survey_title(survey),
                time=_deadline(survey.deadline, community.timezone),
            )
        return survey_card(survey, community.timezone, count)

    return build


def _deadline(when: datetime, tz: str) -> str:
    return fmt_short_datetime(when, tz, get_i18n().current_locale)


def _sender(
    ctx: AppContext, person: Person, build: Callable[[], str], survey_id: int
) -> Callable[[], Awaitable[Delivery]]:
    return lambda: send_to_person(ctx, person, build, reply_markup=lambda: answer_button(survey_id))


async def _post_results(ctx: AppContext, survey: Survey) -> None:
    async with ctx.session_factory() as session:
        community = await session.get(Community, survey.community_id)
        assert community is not None
        results = await survey_results(session, survey)
    if community.admin_chat_id is None or ctx.bot is None:
        return
    bot, chat_id = ctx.bot, community.admin_chat_id

    async def post() -> bool:
        with ctx.i18n.use_locale(group_locale(ctx, community)):
            return await post_results(bot, chat_id, results)

    await send_once(ctx.session_factory, f"surveys.results:{survey.id}", ctx.clock.now(), post)
