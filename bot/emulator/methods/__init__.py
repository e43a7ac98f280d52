"""Bot API method implementations, registered by name in `METHODS`.

Importing this package imports every method module so their `@bot_method`
registrations run.
"""

from bot.emulator.methods import (
    callbacks,
    chats,
    forwarding,
    media,
    messages,
    meta,
    payments,
    pinning,
)
from bot.emulator.methods.registry import METHODS, MethodHandler, bot_method

__all__ = [
    "METHODS",
    "MethodHandler",
    "bot_method",
    "callbacks",
    "chats",
    "forwarding",
    "media",
    "messages",
    "meta",
    "payments",
    "pinning",
]
