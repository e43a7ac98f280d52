"""A maintenance task done, from its card in the admin group.

1. "✅ Done" on the card (staff allowed ``equipment.task_done``): the bot asks
   that person for the notes — text, or a photo with a caption.
2. Their next message (text or photo) closes the task in one transaction, once
   (a task already done says so); anything else re-asks.
3. The card is edited to show who did it, the notes and the photo's presence.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.equipment.ledger import EquipmentError
from core.equipment.plans import complete_task
from core.identity import Identity
from core.models import Community
from handlers.equipment.texts import task_card
from handlers.kit import admin_router, answer_query

log = logging.getLogger(__name__)

router = admin_router("equipment.tasks")

MAX_NOTES = 1000


class TaskCb(CallbackData, prefix="mt"):
    task_id: int


class TaskDone(StatesGroup):
    notes = State()


def done_keyboard(task_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("✅ Done"), callback_data=TaskCb(task_id=task_id).pack())]
        ]
    )


@router.callback_query(TaskCb.filter(), flags={"staff": "equipment.task_done"})
async def done_pressed(
    query: CallbackQuery, callback_data: TaskCb, state: FSMContext, identity: Identity
) -> None:
    await answer_query(query)
    await state.set_state(TaskDone.notes)
    await state.update_data(task_id=callback_data.task_id)
    if isinstance(query.message, Message):
        await query.message.reply(
            _("{name}, send the notes for this task: text, or a photo with a caption.").format(
                name=escape(identity.full_name or _("Staff"))
            )
        )


@router.message(
    TaskDone.notes,
    (F.text & ~F.text.startswith("/")) | F.photo,
    flags={"staff": "equipment.task_done"},
)
async def notes_sent(
    message: Message,
    state: FSMContext,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    notes = (message.text or message.caption or "").strip()
    if len(notes) > MAX_NOTES:
        await message.reply(
            _("That is too long: at most {limit} characters, please.").format(limit=MAX_NOTES)
        )
        return
    data = await state.get_data()
    await state.clear()
    photo = message.photo[-1].file_id if message.photo else None
    try:
        task = await complete_task(
            session,
            int(data["task_id"]),
            community.id,
            person_id=identity.person_id,
            now=app.clock.now(),
            notes=notes,
            photo_file_id=photo,
        )
    except EquipmentError as exc:
        await message.reply(
            _("This task is already done.")
            if exc.code == "already_done"
            else _("That task is not found here.")
        )
        return
    await message.reply(_("✅ Task recorded as done. Thank you."))
    if task.card_message_id is None or app.bot is None:
        return
    try:
        await app.bot.edit_message_text(
            task_card(task, locale, identity.full_name),
            chat_id=message.chat.id,
            message_id=task.card_message_id,
        )
    except TelegramBadRequest as exc:
        log.info("task card not edited", extra={"fields": {"error": str(exc)}})


@router.message(TaskDone.notes, ~F.text.startswith("/"), flags={"staff": "equipment.task_done"})
async def notes_expected(message: Message) -> None:
    await message.reply(_("Please send the notes as text, or a photo with a caption."))
