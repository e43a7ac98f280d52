"""Long polling confirms an update to Telegram only once it has been handled: one in
flight stays Telegram's (delivered again if the process dies), while the updates
after it go on; stopping finishes it and confirms it."""

from __future__ import annotations

import asyncio

from bot.emulator import Emulator
from tests.harness import start_bot
from tests.replicas.test_webhook_delivery import Slow


async def test_an_update_in_flight_is_not_confirmed(settings, emulator: Emulator) -> None:
    slow = Slow()
    busy = emulator.user(5401, "Busy", language_code="en")
    other = emulator.user(5402, "Other", language_code="en")
    async with start_bot(settings, emulator, extra_routers=[slow.router]) as app:
        await busy.send("slow one")
        await asyncio.wait_for(slow.entered.wait(), 30)
        await other.send("/help")  # fetched and answered meanwhile
        await other.expect("Courtyard", timeout=30)
        await asyncio.sleep(0.5)  # the loop has asked Telegram again since
        # Telegram still holds the update in flight (and, behind it, the one answered:
        # the offset cannot pass the first), so a crash now would lose nothing.
        pending = [u["message"]["text"] for u in emulator.pending_updates if "message" in u]
        assert pending == ["slow one", "/help"], pending
        stopping = asyncio.create_task(app.dp.stop_polling())
        await asyncio.sleep(0.2)
        slow.release.set()  # stopping waits for it, then confirms it
        await asyncio.wait_for(stopping, 30)
    assert slow.calls == ["slow one"]
    assert emulator.pending_updates == []
