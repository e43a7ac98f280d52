"""Fixtures for the emulator tests: a running emulator, an aiogram bot, polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties

from bot.emulator import Emulator
from tests.emulator.helpers import StartPolling


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(bot_username="courtyard_bot") as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    tg_bot = emu.create_bot(default=DefaultBotProperties(parse_mode="HTML"))
    yield tg_bot
    await tg_bot.session.close()


@pytest.fixture
async def polling(bot: Bot) -> AsyncIterator[StartPolling]:
    """Start a Dispatcher polling the emulator; stopped at teardown."""
    running: list[tuple[Dispatcher, asyncio.Task[Any]]] = []

    async def start(dp: Dispatcher, **kwargs: Any) -> None:
        task = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, close_bot_session=False, **kwargs)
        )
        running.append((dp, task))

    yield start
    for dp, task in running:
        for _ in range(200):
            if task.done():
                break
            try:
                await dp.stop_polling()
                break
            except RuntimeError:  # polling not started yet
                await asyncio.sleep(0.01)
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
