"""Running the real application against the emulator, in-process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiogram import Router

from bot.app import Application, build_application
from bot.settings import Settings
from core.clock import Clock


@contextlib.asynccontextmanager
async def start_bot(
    settings: Settings,
    emulator: Any,
    *,
    clock: Clock | None = None,
    start_scheduler: bool = False,
    start_services: bool = False,
    extra_routers: Sequence[Router] = (),
) -> AsyncIterator[Application]:
    settings = settings.model_copy(update={"telegram_api": emulator.base_url})
    app = await build_application(
        settings,
        clock=clock,
        migrate=False,
        start_scheduler=start_scheduler,
        start_services=start_services,
    )
    for position, router in enumerate(extra_routers, start=2):
        # Test-only routers go right after the common router, before the fallback,
        # in the order given.
        router.parent_router = app.dp
        app.dp.sub_routers.remove(router)
        app.dp.sub_routers.insert(position, router)
    with app.ctx.i18n.context():
        polling = asyncio.create_task(
            app.dp.start_polling(
                app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
            )
        )
        try:
            yield app
        finally:
            with contextlib.suppress(RuntimeError):
                await app.dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(polling, 5)
            await app.close()


async def idle(app: Application, within: float = 10.0) -> None:
    """Wait until the bot has finished (and committed) every update it took.

    A bot message is visible to a test the moment the Bot API receives it, a little
    before the handler that sent it commits; a test that then reads the database, or
    answers faster than any person could, waits for this first.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while app.dp.in_flight:  # type: ignore[attr-defined]
        if loop.time() > deadline:
            raise TimeoutError("the bot is still handling updates")
        await asyncio.sleep(0.005)
