"""A fire-lane check, the last step of its scan (:mod:`.scan` asked the location and
the photo).

1. "✅ Clear" / "⛔ Blocked" buttons under the photo's acknowledgement.
2. The check is written in one transaction (the visit, its verdict and, when
   blocked, the hazard ticket with the photo).
3. A blocked lane's ticket goes up in the admin group in its own topic (the
   tickets area's publishing), and the guard hears its number.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from core.patrols.checkpoints import Coordinates, PatrolError
from core.patrols.fire_lanes import record_lane_check
from core.patrols.models import LaneVerdict
from core.tickets.filing import MediaItem
from handlers.kit import answer_query, commit_before_send, group_locale, private_router
from handlers.patrols.states import PatrolScan
from handlers.patrols.texts import refusal
from handlers.tickets.group import publish_once
from handlers.tickets.labels import ticket_ref

router = private_router("patrols.lane_check")


class LaneCb(CallbackData, prefix="fl"):
    verdict: str


# Only the two verdicts: garbled data is nobody's button ("no longer active").
VERDICT = LaneCb.filter(F.verdict.in_({v.value for v in LaneVerdict}))


async def ask_verdict(message: Message, state: FSMContext, photo: PhotoSize) -> None:
    await state.update_data(photo_id=photo.file_id, photo_unique_id=photo.file_unique_id)
    await state.set_state(PatrolScan.verdict)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✅ Clear"), callback_data=LaneCb(verdict="clear").pack()
                ),
                InlineKeyboardButton(
                    text=_("⛔ Blocked"), callback_data=LaneCb(verdict="blocked").pack()
                ),
            ]
        ]
    )
    await message.answer(_("Is the lane clear or blocked?"), reply_markup=ReplyKeyboardRemove())
    await message.answer(_("Choose one:"), reply_markup=markup)


def _ticket_text(name: str) -> str:
    return _("Fire lane or exit found blocked on a check: {name}.").format(name=name)


@router.callback_query(PatrolScan.verdict, VERDICT)
async def verdict_chosen(
    query: CallbackQuery,
    callback_data: LaneCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    await answer_query(query)
    data = await state.get_data()
    await state.clear()
    if query.message is not None and isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    chat = query.message
    community = await session.get(Community, int(data["community_id"]))
    if identity.person_id is None or community is None or not isinstance(chat, Message):
        return
    verdict = LaneVerdict(callback_data.verdict)
    where = None
    if data.get("latitude") is not None:
        where = Coordinates(data["latitude"], data["longitude"])
    with app.i18n.use_locale(group_locale(app, community)):
        ticket_text = _ticket_text(data["name"])
    try:
        check = await record_lane_check(
            session,
            app.clock,
            checkpoint_id=data["checkpoint_id"],
            salt=data["salt"],
            person_id=identity.person_id,
            telegram_id=identity.telegram_id,
            location=where,
            photo=MediaItem("photo", data["photo_id"], data["photo_unique_id"]),
            verdict=verdict,
            ticket_text=ticket_text,
        )
    except PatrolError as exc:
        await chat.answer(refusal(exc.code))
        return
    if check.ticket is None:
        await chat.answer(
            _("✅ Check recorded: {name} is clear.").format(name=escape(data["name"]))
        )
        return
    # The card about to be posted carries the ticket's id on its buttons: a press
    # must find the ticket.
    await commit_before_send(session)
    await publish_once(app, check.ticket.id)
    await chat.answer(
        _(
            "⛔ Check recorded: {name} is blocked. Hazard ticket {ref} is open for the office."
        ).format(name=escape(data["name"]), ref=ticket_ref(check.ticket))
    )


@router.callback_query(VERDICT)
async def stale_verdict(query: CallbackQuery) -> None:
    await answer_query(query, _("This check is over: scan the checkpoint again."), alert=True)


@router.message(PatrolScan.verdict)
async def verdict_expected(message: Message) -> None:
    await message.answer(_("Please press “✅ Clear” or “⛔ Blocked” above."))
