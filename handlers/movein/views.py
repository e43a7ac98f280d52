"""Small pieces the resident's move-in steps share: buttons, paginated pickers,
showing a step in place of the previous one."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.identity import Identity
from core.models import ResidencyRole
from core.movein.rules import clean_name
from handlers.kit import answer_query, paged_keyboard, reply
from handlers.movein.callbacks import MvCb

# The role buttons carry their index here.
ROLES = (ResidencyRole.OWNER, ResidencyRole.TENANT, ResidencyRole.FAMILY)


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to (pagination), or send a new one."""
    if isinstance(target, CallbackQuery):
        await answer_query(target)
        if isinstance(target.message, Message):
            try:
                await target.message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest:
                pass
            await target.message.answer(text, reply_markup=markup)
        return
    await reply(target, text, reply_markup=markup)


def chat(target: Message | CallbackQuery) -> Message:
    message = target if isinstance(target, Message) else target.message
    assert isinstance(message, Message)
    return message


async def drop_buttons(message: Message) -> None:
    """Take the buttons off a step that is done (a deleted message is fine)."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass


def button(text: str, action: str, id_: int = 0, page: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=MvCb(action=action, id=id_, page=page).pack()
    )


def cancel_button() -> InlineKeyboardButton:
    return button(_("✖ Cancel"), "quit")


def paged(
    items: list[tuple[str, int]],
    *,
    page: int,
    per_page: int,
    columns: int,
    pick: str,
    back: str | None = None,
    total: int | None = None,
) -> InlineKeyboardMarkup:
    """A picker: one ``pick`` button per (label, id), ◀ ▶ (``pick`` + ``"p"``, with
    the page), then Back (to ``back``) and Cancel. ``items`` are all of them, or
    this page's out of ``total``."""
    return paged_keyboard(
        [button(label, pick, id_) for label, id_ in items],
        page=page,
        per_page=per_page,
        page_callback=lambda to: MvCb(action=pick + "p", page=to).pack(),
        extra_rows=[_last_row(back)],
        columns=columns,
        total=total,
    )


def _last_row(back: str | None) -> list[InlineKeyboardButton]:
    last = [cancel_button()]
    if back:
        last.insert(0, button(_("⬅ Back"), back))
    return last


def role_keyboard(*, back: bool) -> InlineKeyboardMarkup:
    """Owner / tenant / family member, by their index in ``ROLES``."""
    rows = [
        [button(_("Owner"), "role", 0)],
        [button(_("Tenant"), "role", 1)],
        [button(_("Family member of the owner or tenant"), "role", 2)],
        _last_row("back_u" if back else None),
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def read_name(message: Message, reask: str) -> str | None:
    """The name typed (spaces tidied), or None after re-asking with ``reask``: the
    name rule (:func:`core.movein.rules.clean_name`) decides, not its length alone."""
    name = clean_name(message.text or "")
    if name is None:
        await reply(message, reask)
    return name


def person_id(identity: Identity) -> int:
    # The identity middleware creates the person on first private contact.
    assert identity.person_id is not None
    return identity.person_id


def current_locale() -> str:
    return get_i18n().current_locale
