"""Behaviour switches of the emulator, and the flood control that enforces its limits.

Flood limits are off by default; a test (or the control API's settings) turns
them on to see the bot's sender back off on 429 Too Many Requests as it must
against Telegram.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass, field

from bot.emulator.errors import too_many_requests
from bot.emulator.state import Chat


@dataclass
class FloodLimits:
    """Per-chat send limits, roughly Telegram's documented ones."""

    private_per_second: int = 1
    group_per_minute: int = 20


@dataclass
class EmulatorOptions:
    """Behaviour switches a test may flip at any time."""

    # Bots that are not group admins only see commands, replies to them and
    # service messages, like Telegram's default privacy mode.
    privacy_mode: bool = True
    flood_limits: FloodLimits | None = None
    # The share of sends (sendMessage, sendDocument, sendPhoto) whose answer is lost
    # *after* the message was delivered, as when a request times out under load: the
    # bot sees a server error and cannot know the message arrived.
    lost_answers: float = 0.0
    lost_answers_rng: random.Random = field(default_factory=lambda: random.Random(21))

    def loses_answer(self, method: str) -> bool:
        return (
            self.lost_answers > 0
            and method.lower() in _SENDS
            and self.lost_answers_rng.random() < self.lost_answers
        )


_SENDS = frozenset({"sendmessage", "senddocument", "sendphoto"})


class FloodControl:
    """Sliding-window send counters per chat."""

    def __init__(self) -> None:
        self._sent: dict[int, deque[float]] = {}

    def check(self, chat: Chat, limits: FloodLimits | None, count: int = 1) -> None:
        """Raise 429 if sending `count` more messages to `chat` now exceeds the limit."""
        if limits is None:
            return
        window, limit = (
            (60.0, limits.group_per_minute) if chat.is_group else (1.0, limits.private_per_second)
        )
        sent = self._sent.setdefault(chat.id, deque())
        moment = time.monotonic()
        while sent and sent[0] <= moment - window:
            sent.popleft()
        # An album larger than the limit still goes through into an empty window.
        if sent and len(sent) + count > limit:
            retry_after = max(1, math.ceil(sent[0] + window - moment))
            raise too_many_requests(retry_after)

    def record(self, chat: Chat, count: int = 1) -> None:
        sent = self._sent.setdefault(chat.id, deque())
        sent.extend([time.monotonic()] * count)
