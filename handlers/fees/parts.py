"""Sending one outbox message part by part (text, chart, PDF …).

Each part done is recorded (``step``), so a message interrupted by a crash or a
failed send resumes after the last part that went out, and never repeats it.

A send that fails *ambiguously* — a timeout, a lost connection, a Telegram server
error — may have been delivered all the same, and the Bot API cannot say. That part
is recorded as uncertain and sent again later (a receipt must arrive), marked as a
copy, so the rare duplicate says what it is (decision 0023).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.sender import Delivery, deliver
from core.fees import outbox

# A part sends itself (``again``: as a marked copy of a send whose fate is unknown)
# and returns how it went; None when it has nothing to send (a PDF that could not be
# rendered): the part still counts as done.
Part = Callable[[bool], Awaitable[Delivery | None]]
AMBIGUOUS = (TelegramNetworkError, TelegramServerError, asyncio.TimeoutError)


async def send_parts(
    ctx: AppContext, item: outbox.OutboxItem, parts: Sequence[Part]
) -> tuple[bool, str | None]:
    """Send the parts not sent yet; (False, reason) at the first that cannot be delivered."""
    for number, part in enumerate(parts, start=1):
        if item.step >= number:
            continue
        again = item.uncertain_step == number
        try:
            sent = await part(again)
        except AMBIGUOUS:
            await outbox.mark_uncertain(ctx.session_factory, item.id, number)
            raise
        if sent is not None and not sent.ok:
            return False, sent.reason
        await outbox.mark_step(ctx.session_factory, item.id, number, now=ctx.clock.now())
    return True, None


def with_note(text: str, note: str | None) -> str:
    return f"{note}\n\n{text}" if note else text


def text_part(ctx: AppContext, chat_id: int, text: str, note: str) -> Part:
    """The message's text as a part (headed by ``note`` when sent again)."""
    assert ctx.bot is not None
    bot = ctx.bot

    async def send(again: bool) -> Delivery:
        return await deliver(bot.send_message(chat_id, with_note(text, note if again else None)))

    return send


def copy_note(ctx: AppContext, locale: str) -> str:
    """Heads a part sent again after a send whose fate is unknown (decision 0023)."""
    with ctx.i18n.use_locale(locale):
        return _(
            "🔁 Sent again after a connection problem. If you already have this, "
            "it is the same one: nothing was paid or changed twice."
        )
