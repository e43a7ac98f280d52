"""An in-process Bot API answerer for benchmarks of our own code.

Measuring the dispatcher's throughput must not measure loopback HTTP or
Telegram's rate limits, so the bot's session answers every method locally with a
well-formed result (the emulator's job in tests). Both the real dispatcher and
the echo baseline use it, so the comparison is fair.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User

BOT_USER = User(id=123456789, is_bot=True, first_name="Courtyard", username="courtyard_bot")


class LocalSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.calls = 0

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls += 1
        returning = method.__returning__
        if returning is Message or "Message" in str(returning):
            chat_id = getattr(method, "chat_id", None) or 1
            result: Any = Message(
                message_id=next(self._ids),
                date=int(time.time()),
                chat=Chat(id=int(chat_id), type="private" if int(chat_id) > 0 else "supergroup"),
                from_user=BOT_USER,
                text=getattr(method, "text", None),
            )
            return result  # type: ignore[no-any-return]
        if returning is User:
            return BOT_USER  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""
