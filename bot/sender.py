"""Every outgoing Bot API call passes through :class:`OutgoingLimiter`.

It keeps within Telegram's limits (≈30 messages/s overall, ≈1/s per private chat
with a short burst, 20/min per group), waits out a 429's ``retry_after`` and
retries, and records a message that cannot be delivered (bot blocked, account
deleted, chat gone) in ``delivery_failures`` so the feature that sent it can
tell staff. :func:`deliver` is the call features use when a failure must not
abort their work.

The limits are this process's own (:class:`RateLimiter`), or, with several
processes (``COURTYARD_FSM_STORAGE=redis``), kept in Redis for all of them together
(:mod:`bot.shared_limits`): the global rate, a private chat's and a group's limits
hold whatever the number of processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.db import current_session
from core.db import utcnow
from core.metrics import MESSAGES, TELEGRAM_429, UNDELIVERABLE
from core.models import DeliveryFailure

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)
T = TypeVar("T")

SEND_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendVideo",
    "sendMediaGroup",
    "sendLocation",
    "sendContact",
    "sendInvoice",
    "copyMessage",
    "forwardMessage",
    "sendAnimation",
    "sendVoice",
}
MAX_RETRIES = 5


class SendLimits(Protocol):
    async def acquire(self, chat_id: int | None) -> None:
        """Wait until a send to ``chat_id`` (None: no chat) keeps within the limits."""


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    stamp: float

    def reserve(self, now: float) -> float:
        """Take a token; return how long the caller must wait for it."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate


class _Window:
    """Books send times, in order, so that no ``period`` holds more than ``limit``.

    A token bucket alone allows its capacity *plus* a period's refill within one
    period (a full 30/s bucket let ~60 sends out in the first second; a full 20/min
    group bucket, 40 in a minute, and Telegram refused the 21st with a ~1 minute
    429). Only the last ``limit`` bookings can matter, so that is all it keeps.
    """

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, int(limit))
        self.period = period
        self.times: deque[float] = deque(maxlen=self.limit)

    def book(self, at: float) -> float:
        """The time, at or after ``at``, this send may go out (and book it)."""
        times = self.times
        when = max(at, times[-1]) if times else at  # first come, first served
        if len(times) == self.limit:
            when = max(when, times[0] + self.period)
        times.append(when)
        return when


# A group's messages: up to this many at once, then spaced out evenly, and never more
# than COURTYARD_SEND_PER_MINUTE_GROUP in any minute. The minute is counted a little
# long: a send booked in its group's window may still wait a moment for the global one.
GROUP_BURST = 5
GROUP_PERIOD_S = 61.0
# A private chat: up to this many at once (a multi-part answer), then the interval.
PRIVATE_BURST = 3


class RateLimiter:
    """Telegram's limits: at most ``global_rate`` sends in any second; per private chat
    a burst of 3, then one per ``private_interval``; per group a burst of
    :data:`GROUP_BURST`, then an even pace, and at most ``group_per_minute`` in any
    minute.

    A send first waits for its chat, then books the global window: a message held
    back for a busy group does not hold up everyone else's.
    """

    def __init__(
        self,
        global_rate: float = 30.0,
        private_interval: float = 1.0,
        group_per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self._global = _Window(max(1, round(global_rate)), 1.0)
        self._private_rate = 1.0 / private_interval
        self._group_limit = max(1, group_per_minute)
        self._group_rate = self._group_limit / 60.0
        self._private: dict[int, _Bucket] = {}
        self._groups: dict[int, tuple[_Bucket, _Window]] = {}
        self._lock = asyncio.Lock()

    def book_chat(self, chat_id: int, now: float) -> float:
        """When the chat allows its next send (booked)."""
        if chat_id < 0:
            found = self._groups.get(chat_id)
            if found is None:
                burst = float(min(GROUP_BURST, self._group_limit))
                bucket = _Bucket(burst, self._group_rate, burst, now)
                found = (bucket, _Window(self._group_limit, GROUP_PERIOD_S))
                if len(self._groups) > 50_000:
                    self._groups.clear()
                self._groups[chat_id] = found
            bucket, window = found
            return window.book(now + bucket.reserve(now))
        private = self._private.get(chat_id)
        if private is None:
            # A short burst keeps multi-part answers snappy, then 1/s.
            burst = float(PRIVATE_BURST)
            private = _Bucket(burst, self._private_rate, burst, now)
            if len(self._private) > 50_000:
                self._private.clear()
            self._private[chat_id] = private
        return now + private.reserve(now)

    def book_global(self, now: float) -> float:
        """When the next send may go out as far as all chats together go (booked)."""
        return self._global.book(now)

    async def acquire(self, chat_id: int | None) -> None:
        if chat_id is not None:
            async with self._lock:
                now = self.clock()
                ready = self.book_chat(chat_id, now)
            if ready > now:
                await asyncio.sleep(ready - now)
        async with self._lock:
            now = self.clock()
            ready = self.book_global(now)
        if ready > now:
            await asyncio.sleep(ready - now)


def _chat_id_of(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, int):
        return chat_id
    return None


def _is_stale_query(exc: Exception) -> bool:
    """Telegram's answer to a button press answered too late (or twice)."""
    text = str(exc).lower()
    return "query is too old" in text or "query id is invalid" in text


def _failure_reason(exc: Exception) -> str | None:
    text = str(exc).lower()
    if isinstance(exc, TelegramForbiddenError):
        if "blocked" in text:
            return "blocked"
        if "deactivated" in text:
            return "deactivated"
        return "forbidden"
    if isinstance(exc, TelegramBadRequest | TelegramNotFound) and "chat not found" in text:
        return "chat_not_found"
    return None


class OutgoingLimiter(BaseRequestMiddleware):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession] | None,
        limiter: SendLimits | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.limiter: SendLimits = limiter or RateLimiter()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        is_send = name in SEND_METHODS
        chat_id = _chat_id_of(method)
        attempt = 0
        while True:
            if is_send:
                await self.limiter.acquire(chat_id)
            try:
                response = await make_request(bot, method)
            except TelegramRetryAfter as exc:
                TELEGRAM_429.inc()
                attempt += 1
                if attempt > MAX_RETRIES:
                    if is_send:
                        MESSAGES.labels("rate_limited").inc()
                    raise
                log.warning(
                    "telegram flood limit, waiting",
                    extra={
                        "fields": {"method": name, "chat": chat_id, "retry_after": exc.retry_after}
                    },
                )
                await asyncio.sleep(exc.retry_after)
            except (TelegramForbiddenError, TelegramBadRequest, TelegramNotFound) as exc:
                if name == "answerCallbackQuery" and _is_stale_query(exc):
                    # A press answered too late (queued while the bot restarted, or a
                    # slow step): Telegram refuses the answer, but the press still
                    # counts. Handlers answer first; the step they begin goes on.
                    log.info("late button answer", extra={"fields": {"error": str(exc)}})
                    return True  # type: ignore[return-value]
                reason = _failure_reason(exc)
                if is_send:
                    MESSAGES.labels("refused").inc()
                if reason and is_send and chat_id is not None:
                    UNDELIVERABLE.labels(reason).inc()
                    await self._record(chat_id, name, reason, str(exc))
                raise
            else:
                if is_send:
                    MESSAGES.labels("sent").inc()
                return response

    async def _record(self, chat_id: int, method: str, reason: str, description: str) -> None:
        log.warning(
            "message not delivered",
            extra={"fields": {"chat": chat_id, "method": method, "reason": reason}},
        )
        failure = DeliveryFailure(
            at=utcnow(),
            chat_id=chat_id,
            method=method,
            reason=reason,
            description=description[:255],
        )
        current = current_session.get()
        if current is not None:
            # Inside an update: join its transaction (a second session would queue
            # behind this transaction's own SQLite write lock).
            current.add(failure)
            return
        if self.session_factory is None:
            return
        try:
            async with self.session_factory() as session:
                session.add(failure)
                await session.commit()
        except Exception:  # the failure record must never mask the original error
            log.exception("could not record delivery failure")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    result: Any = None
    reason: str | None = None


async def deliver(call: Awaitable[T]) -> Delivery:
    """Await a Bot API send; a recipient who cannot be reached is a result, not an error.

    Features use this for messages to residents and then tell staff when
    ``ok`` is false (e.g. "the resident has blocked the bot").
    """
    try:
        return Delivery(ok=True, result=await call)
    except (TelegramForbiddenError, TelegramBadRequest, TelegramNotFound) as exc:
        reason = _failure_reason(exc)
        if reason is None:
            raise
        return Delivery(ok=False, reason=reason)
