"""Sending one outbox message part by part (text, chart, PDF …).

Each part done is recorded (``step``), so a message interrupted by a crash or a
failed send resumes after the last part that went out, and never repeats it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.context import AppContext
from bot.sender import Delivery
from core.fees import outbox

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
        sent = await part()
        if sent is not None and not sent.ok:
            return False, sent.reason
        await outbox.mark_step(ctx.session_factory, item.id, number)
    return True, None
