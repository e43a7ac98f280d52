"""Joining a home, in the resident's private chat: the way in.

Two ways in, one conversation (:class:`~handlers.movein.callbacks.MoveIn`):

- **Invitation** (:mod:`.invitation`): ``/start i_<code>`` (the letterbox QR code or
  a link an owner forwarded), or the code typed in. Role (unless the invitation
  fixes it), name, phone, then the community rules and the service contract; the
  person is an active resident at once and staff are told (:mod:`.joined`).
- **Application** (:mod:`.home`, :mod:`.details`, :mod:`.documents`,
  :mod:`.agreements`, :mod:`.submit`): community → building → (floor) → unit from
  paginated buttons, role, lease end for tenants, name, phone (Telegram's contact
  button), an ID photo, proof of residence, the two documents, a summary, and
  submit. The application goes to the admin group for review (:mod:`.decide`).

Every step accepts only what it asks for and re-asks otherwise. The answers
live in the conversation state (in the database) and uploads as draft file
references, so a restart in the middle loses nothing; the final step writes
everything in one transaction.

Here: ``/movein`` and the menu button offer the two ways; Cancel (on any step)
drops the drafts and goes home.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.residents import clear_drafts
from handlers.kit import (
    answer_query,
    menu_entry,
    menu_keyboard,
    private_command,
    private_router,
    reply,
)
from handlers.movein.callbacks import MvCb
from handlers.movein.views import button, chat, drop_buttons, person_id

router = private_router("movein.entry")

menu_entry(
    "movein",
    __("🏠 Move in"),
    lambda i: not i.is_resident and not i.pending_units,
    order=10,
)
private_command("movein", __("Join your home: invitation code or application"), order=10)


def _entry_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("🔑 I have an invitation code"), "code")],
            [button(_("📝 Apply with my documents"), "apply")],
        ]
    )


def _entry_text() -> str:
    return _(
        "Let's get you registered in your home.\n"
        "If the property office gave you an invitation (a letter with a QR code or a code), "
        "use it: you are in at once. Otherwise apply with your ID and proof of residence; "
        "the property office checks it, usually within a working day."
    )


@router.message(Command("movein"), StateFilter("*"))
@router.callback_query(F.data == "menu:movein", StateFilter("*"))
async def movein(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await reply(event, _entry_text(), reply_markup=_entry_keyboard())


@router.callback_query(MvCb.filter(F.action == "quit"), StateFilter("*"))
async def quit_flow(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    await clear_drafts(session, person_id(identity))
    await answer_query(query)
    message = chat(query)
    await drop_buttons(message)
    await reply(message, _("Cancelled. Nothing was saved."), reply_markup=ReplyKeyboardRemove())
    await reply(message, _("What can I do for you?"), reply_markup=menu_keyboard(identity))
