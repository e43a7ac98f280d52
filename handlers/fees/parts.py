"""Sending one outbox message part by part (text, chart, PDF …).

Each part is claimed before it is sent (core.sends) and recorded as done
(``step``), so a message interrupted by a crash or a failed send resumes after the
last part that went out, and never repeats it unmarked.

A send whose fate is unknown — a timeout, a lost connection, a Telegram server
error, or a worker that died between the claim and Telegram's answer — may have
been delivered all the same, and the Bot API cannot say. That part is sent once
more, marked as a copy (a receipt must arrive), so the rare duplicate says what it
is: at most one plain send and one marked copy per part (decisions 0021, 0023).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.sender import Delivery, deliver
from core.fees import outbox
from core.sends import send_once

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
            claimed, sent = await _send_claimed(ctx, item, number, part, again)
            if not claimed and not again:
                # Claimed by a worker that died before Telegram answered: its fate is
                # unknown, so the part goes again as a marked copy (claimed too).
                again = True
                claimed, sent = await _send_claimed(ctx, item, number, part, again)
        except AMBIGUOUS:
            await outbox.mark_uncertain(ctx.session_factory, item.id, number)
            raise
        if claimed and sent is not None and not sent.ok:
            return False, sent.reason
        await outbox.mark_step(ctx.session_factory, item.id, number, now=ctx.clock.now())
    return True, None


async def _send_claimed(
    ctx: AppContext, item: outbox.OutboxItem, number: int, part: Part, again: bool
) -> tuple[bool, Delivery | None]:
    key = f"fees.outbox:{item.id}:{number}" + (":copy" if again else "")
    return await send_once(
        ctx.session_factory,
        key,
        ctx.clock.now(),
        lambda: part(again),
        delivered=lambda result: result is None or result.ok,
    )


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
