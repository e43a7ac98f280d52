"""Small pieces the resident's move-in steps share: buttons, paginated pickers,
showing a step in place of the previous one."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.identity import Identity
from core.models import ResidencyRole
from handlers.movein.callbacks import MvCb

# The role buttons carry their index here.
ROLES = (ResidencyRole.OWNER, ResidencyRole.TENANT, ResidencyRole.FAMILY)


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to (pagination), or send a new one."""
    if isinstance(target, CallbackQuery):
        await target.answer()
        if isinstance(target.message, Message):
            try:
                await target.message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest:
                pass
            await target.message.answer(text, reply_markup=markup)
        return
    await target.answer(text, reply_markup=markup)


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
    total: int,
    page: int,
    per_page: int,
    cols: int,
    pick: str,
    turn: str,
    back: str | None = None,
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for start in range(0, len(items), cols):
        rows.append([button(label, pick, id_) for label, id_ in items[start : start + cols]])
    pages = max(1, -(-total // per_page))
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button("◀", turn, page=page - 1))
        nav.append(button(f"{page + 1}/{pages}", turn, page=page))
        if page < pages - 1:
            nav.append(button("▶", turn, page=page + 1))
        rows.append(nav)
    rows.append(_last_row(back))
    return InlineKeyboardMarkup(inline_keyboard=rows)


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


def person_id(identity: Identity) -> int:
    # The identity middleware creates the person on first private contact.
    assert identity.person_id is not None
    return identity.person_id


def current_locale() -> str:
    return get_i18n().current_locale
