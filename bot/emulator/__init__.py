"""Local Telegram Bot API emulator for tests and the browser sandbox.

An aiohttp server that speaks the Bot API (``/bot{token}/{method}``) to one
aiogram bot, plus a user side — an in-process Python API (`UserHandle`,
`GroupHandle`) and HTTP/SSE endpoints under ``/_emulator/`` — to play the
people talking to it. State lives in memory. See `Emulator` for the entry point
and ``python -m bot.emulator --port 8081`` to run it standalone.
"""

from bot.emulator.actions import DocumentUpload, EmulatorTimeout, PaymentOutcome
from bot.emulator.client import (
    ChatHandle,
    GroupHandle,
    UserHandle,
    button_texts,
    message_text,
)
from bot.emulator.core import ApiCall
from bot.emulator.emulator import Emulator
from bot.emulator.errors import BotAPIError, EmulatorError
from bot.emulator.options import FloodLimits
from bot.emulator.state import GENERAL_TOPIC_ID, AdminRights, Topic

# The brief's alternative name.
BotAPIEmulator = Emulator

__all__ = [
    "GENERAL_TOPIC_ID",
    "AdminRights",
    "ApiCall",
    "BotAPIEmulator",
    "BotAPIError",
    "ChatHandle",
    "DocumentUpload",
    "Emulator",
    "EmulatorError",
    "EmulatorTimeout",
    "FloodLimits",
    "GroupHandle",
    "PaymentOutcome",
    "Topic",
    "UserHandle",
    "button_texts",
    "message_text",
]
