"""Every outgoing Bot API call passes through :class:`OutgoingLimiter`.

It keeps within Telegram's limits (≈30 messages/s overall, ≈1/s per private chat
with a short burst, 20/min per group), waits out a 429's ``retry_after`` and
retries, and records a message that cannot be delivered (bot blocked, account
deleted, chat gone) in ``delivery_failures`` so the feature that sent it can
tell staff. :func:`deliver` is the call features use when a failure must not
abort their work.

The buckets are per process; with several webhook processes each gets its share
of the global rate (COURTYARD_SEND_RATE_GLOBAL / processes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

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


class RateLimiter:
    def __init__(
        self, global_rate: float = 30.0, private_interval: float = 1.0, group_per_minute: int = 20
    ) -> None:
        now = time.monotonic()
        self._global = _Bucket(global_rate, global_rate, global_rate, now)
        self._private_rate = 1.0 / private_interval
        self._group_rate = group_per_minute / 60.0
        self._group_cap = float(group_per_minute)
        self._chats: dict[int, _Bucket] = {}
        self._lock = asyncio.Lock()

    def _chat_bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                bucket = _Bucket(self._group_cap, self._group_rate, self._group_cap, now)
            else:
                # A burst of 3 keeps multi-part answers snappy, then 1/s.
                bucket = _Bucket(3.0, self._private_rate, 3.0, now)
            if len(self._chats) > 50_000:
                self._chats.clear()
            self._chats[chat_id] = bucket
        return bucket

    async def acquire(self, chat_id: int | None) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._global.reserve(now)
            if chat_id is not None:
                wait = max(wait, self._chat_bucket(chat_id, now).reserve(now))
        if wait > 0:
            await asyncio.sleep(wait)


def _chat_id_of(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, int):
        return chat_id
    return None


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
        limiter: RateLimiter | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.limiter = limiter or RateLimiter()

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
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                attempt += 1
                if attempt > MAX_RETRIES:
                    raise
                log.warning(
                    "telegram flood limit, waiting",
                    extra={
                        "fields": {"method": name, "chat": chat_id, "retry_after": exc.retry_after}
                    },
                )
                await asyncio.sleep(exc.retry_after)
            except (TelegramForbiddenError, TelegramBadRequest, TelegramNotFound) as exc:
                reason = _failure_reason(exc)
                if reason and is_send and chat_id is not None:
                    await self._record(chat_id, name, reason, str(exc))
                raise

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
