"""Composing a notice, last phase: the preview and sending.

Steps: the preview — the notice exactly as a resident will get it, then who it goes
to and how many → "📤 Send now" or "🕒 Send at a time…" (then a time such as
``2026-12-04 08:00``, in the future) → the notice and one delivery per resident are
written in one transaction (``notices.send``, audited); the delivery job sends them
(:mod:`.jobs`) and reports here when done.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.models import Phase
from core.community.notices import NoticeError, audience_rows, create_notice
from core.community.times import parse_moment
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from handlers.community.callbacks import Compose, NoticeAck
from handlers.community.drafting import NoticeSteps, read_draft
from handlers.community.sending import put_notice
from handlers.community.steps import button, keyboard
from handlers.community.views import audience_label
from handlers.kit import admin_router, answer_query, reply

router = admin_router("community.compose_send")

LATEST = timedelta(days=60)


async def show_preview(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    app: AppContext,
) -> None:
    draft = await read_draft(state)
    assert message.bot is not None
    await put_notice(message.bot, message.chat.id, draft, community.timezone, 0, Phase.NOTICE)
    today = community_today(community, app.clock)
    count = len(await audience_rows(session, community.id, draft, today))
    names = (await state.get_data()).get("building_names", [])
    await state.set_state(NoticeSteps.preview)
    await message.answer(
        _(
            "👆 This is the notice as residents will see it.\n"
            "It goes to {audience}. Recipients now: {count}."
        ).format(audience=escape(audience_label(draft.audience, names)), count=count),
        reply_markup=keyboard(
            [button(_("📤 Send now"), "send", "now")],
            [button(_("🕒 Send at a time…"), "send", "later")],
        ),
    )


@router.callback_query(NoticeAck.filter(F.notice_id == 0))
async def preview_button(query: CallbackQuery) -> None:
    await answer_query(
        query, _("This is the preview: residents press it to say they have read it.")
    )


@router.callback_query(
    NoticeSteps.preview, Compose.filter((F.step == "send") & (F.value == "later"))
)
async def ask_time(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(NoticeSteps.send_at)
    await reply(
        query, _("When should it go out? Send a time such as 2026-12-04 08:00 (community time).")
    )


@router.callback_query(
    NoticeSteps.preview,
    Compose.filter((F.step == "send") & (F.value == "now")),
    flags={"staff": "notices.send"},
)
async def send_now(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    await answer_query(query)
    assert isinstance(query.message, Message)
    await _send(query.message, state, session, community, identity, app, None)


@router.message(NoticeSteps.send_at, F.text, flags={"staff": "notices.send"})
async def typed_time(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    when = parse_moment(message.text or "", community.timezone)
    now = app.clock.now()
    if when is None or when <= now or when > now + LATEST:
        await message.answer(
            _("Please send a time in the next 60 days, such as 2026-12-04 08:00 (community time).")
        )
        return
    await _send(message, state, session, community, identity, app, when)


@router.message(NoticeSteps.send_at)
async def reask_time(message: Message) -> None:
    await message.answer(_("Please send the time as text, such as 2026-12-04 08:00."))


async def _send(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
    when: object,
) -> None:
    draft = await read_draft(state)
    now = app.clock.now()
    try:
        notice, count = await create_notice(
            session,
            community_id=community.id,
            author_person_id=identity.person_id,
            draft=draft,
            send_at=when or now,  # type: ignore[arg-type]
            now=now,
            today=community_today(community, app.clock),
        )
    except NoticeError as exc:
        await message.answer(_refusal(exc.code))
        return
    await state.clear()
    if when is None:
        text = _(
            "📤 Notice #{id} is on its way (recipients: {count}). I will report here when "
            "everyone has it."
        ).format(id=notice.id, count=count)
    else:
        text = _("🕒 Notice #{id} will go out at {time} (recipients now: {count}).").format(
            id=notice.id,
            count=count,
            time=fmt_short_datetime(notice.send_at, community.timezone, community.locale),
        )
    await message.answer(text)


def _refusal(code: str) -> str:
    return {
        "no_recipients": _(
            "Nobody in that audience lives in the community now: the notice was not sent. "
            "Press ✖ Cancel, or /notice to start again."
        ),
        "bad_window": _("The outage must end after it starts. Start again with /notice."),
    }.get(code, _("The notice could not be sent. Start again with /notice."))
