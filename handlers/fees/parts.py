"""Sending one outbox message part by part (text, chart, PDF …).

Each part is claimed before it is sent (core.sends) and recorded as done
(``step``), so a message interrupted by a crash or a failed send resumes after the
last part that went out, and never repeats it (a part claimed by a worker that died
before Telegram answered is skipped: at most once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.context import AppContext
from bot.sender import Delivery
from core.fees import outbox
from core.sends import send_once

# A part sends itself and returns how it went; None when it has nothing to send
# (a PDF that could not be rendered): the part still counts as done.
Part = Callable[[], Awaitable[Delivery | None]]


async def send_parts(
    ctx: AppContext, item: outbox.OutboxItem, parts: Sequence[Part]
) -> tuple[bool, str | None]:
    """Send the parts not sent yet; (False, reason) at the first that cannot be delivered."""
    for number, part in enumerate(parts, start=1):
        if item.step >= number:
            continue
        # Claimed before it is sent (core.sends): a part whose send raised is given
        # back; one claimed by a worker that died is not sent again.
        claimed, sent = await send_once(
            ctx.session_factory,
            f"fees.outbox:{item.id}:{number}",
            ctx.clock.now(),
            part,
            delivered=lambda result: result is None or result.ok,
        )
        if claimed and sent is not None and not sent.ok:
            return False, sent.reason
        await outbox.mark_step(ctx.session_factory, item.id, number)
    return True, None
