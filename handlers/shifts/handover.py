"""The hand-over at the end of a shift, in the private chat (staff only).

1. ``/handover`` (the bot sends it when a shift ends): refused to anyone not
   active staff.
2. Four answers, each a text ("-" for none): open matters, keys, incidents,
   patrol notes; anything else re-asks.
3. The hand-over is saved in one transaction and posted in the admin group with
   "🤝 Acknowledge" for the next shift; the author is told.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group
from core.identity import Identity
from core.shifts.service import MAX_FIELD, HandoverText, staff_community, submit_handover
from handlers.kit import commit_before_send, group_locale, private_router, read_text
from handlers.shifts.texts import ack_keyboard, handover_text

router = private_router("shifts.handover")

FIELDS = ("open_matters", "keys", "incidents", "patrol_notes")


class HandoverSteps(StatesGroup):
    open_matters = State()
    keys = State()
    incidents = State()
    patrol_notes = State()


def _question(field: str) -> str:
    return {
        "open_matters": _("1/4 Open matters to pass on? (send “-” for none)"),
        "keys": _("2/4 Keys: handed over, lent out, missing? (“-” for none)"),
        "incidents": _("3/4 Incidents during the shift? (“-” for none)"),
        "patrol_notes": _("4/4 Patrol notes? (“-” for none)"),
    }[field]


@router.message(Command("handover"))
async def handover_start(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    if identity.person_id is None or await staff_community(session, identity.person_id) is None:
        await message.answer(_("Only staff write shift hand-overs."))
        return
    await state.set_state(HandoverSteps.open_matters)
    await message.answer(_("🔁 Shift hand-over.") + "\n" + _question("open_matters"))


@router.message(HandoverSteps.open_matters, F.text)
@router.message(HandoverSteps.keys, F.text)
@router.message(HandoverSteps.incidents, F.text)
@router.message(HandoverSteps.patrol_notes, F.text)
async def handover_answer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    text = await read_text(message, max_len=MAX_FIELD)
    if text is None:
        return
    current = await state.get_state()
    field = next(f for f in FIELDS if getattr(HandoverSteps, f).state == current)
    await state.update_data({field: "" if text in {"-", "—", "无"} else text})
    index = FIELDS.index(field)
    if index + 1 < len(FIELDS):
        following = FIELDS[index + 1]
        await state.set_state(getattr(HandoverSteps, following))
        await message.answer(_question(following))
        return
    data = await state.get_data()
    await state.clear()
    assert identity.person_id is not None
    community = await staff_community(session, identity.person_id)
    if community is None:
        await message.answer(_("Only staff write shift hand-overs."))
        return
    row = await submit_handover(
        session,
        community,
        person_id=identity.person_id,
        text=HandoverText(**{f: data.get(f, "") for f in FIELDS}),
        now=app.clock.now(),
    )
    # The card about to be posted carries the hand-over's id on its button.
    await commit_before_send(session)
    locale = group_locale(app, community)
    delivery = await send_to_admin_group(
        app,
        community,
        lambda: handover_text(row, identity.full_name, community.timezone, locale),
        reply_markup=lambda: ack_keyboard(row.id),
    )
    if delivery.ok:
        row.card_message_id = delivery.result.message_id
        await message.answer(_("✅ Hand-over posted in the office group for the next shift."))
    else:
        await message.answer(
            _("Hand-over saved, but the office group could not be reached; tell the next shift.")
        )


@router.message(HandoverSteps.open_matters)
@router.message(HandoverSteps.keys)
@router.message(HandoverSteps.incidents)
@router.message(HandoverSteps.patrol_notes)
async def handover_expected(message: Message) -> None:
    await message.answer(_("Please answer in text (“-” for none)."))
