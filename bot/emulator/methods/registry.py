"""Registry mapping Bot API method names to their implementations.

Telegram matches method names case-insensitively, so they are stored lowercased.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.params import Params

MethodHandler = Callable[[EmulatorCore, Params], Awaitable[Any]]

METHODS: dict[str, MethodHandler] = {}


def bot_method(*names: str) -> Callable[[MethodHandler], MethodHandler]:
    """Register a coroutine as the implementation of one or more methods."""

    def register(handler: MethodHandler) -> MethodHandler:
        for name in names:
            METHODS[name.lower()] = handler
        return handler

    return register
