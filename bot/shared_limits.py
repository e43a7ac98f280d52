"""Telegram's send limits kept in Redis, for every process of a deployment together.

The same limits as :class:`bot.sender.RateLimiter` (see its docstring): per private
chat a burst of 3, then one per interval; per group a burst of
:data:`~bot.sender.GROUP_BURST`, then an even pace, and never more than the
per-minute limit in any :data:`~bot.sender.GROUP_PERIOD_S`; and at most the global
rate in any second. Each limit is booked by one Lua script, atomically across
replicas: it takes the next free slot and returns how long the caller waits for it.
Times are Redis's own clock (one clock for every host), unless a clock is given
(tests). The paces are GCRA (one "theoretical arrival time" per chat, the token
bucket's exact equivalent); the windows keep the last ``limit`` booked times.

Used when ``COURTYARD_FSM_STORAGE=redis`` (several processes); if Redis does not
answer, a send is paced by this process's own limiter rather than not sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.sender import GROUP_BURST, GROUP_PERIOD_S, PRIVATE_BURST, RateLimiter

log = logging.getLogger(__name__)

_NOW = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
"""

# A pace: GCRA. Returns the time (ms) the send may go.
_PACE = """
local function pace(key, now, interval, burst)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local at = tat - (burst - 1) * interval
  if at < now then at = now end
  tat = tat + interval
  redis.call('SET', key, string.format('%d', tat), 'PX', tat - now + 1000)
  return at
end
"""

# A window: no more than `limit` in any `period`; books at or after `at`, in order.
_WINDOW = """
local function book(key, now, at, limit, period)
  local times = redis.call('LRANGE', key, 0, -1)
  local when = at
  local n = #times
  if n > 0 and tonumber(times[n]) > when then when = tonumber(times[n]) end
  if n >= limit and tonumber(times[n - limit + 1]) + period > when then
    when = tonumber(times[n - limit + 1]) + period
  end
  redis.call('RPUSH', key, string.format('%d', when))
  redis.call('LTRIM', key, -limit, -1)
  redis.call('PEXPIRE', key, when - now + period + 1000)
  return when
end
"""

# ARGV: now ('' = Redis's clock), interval_ms, burst     KEYS: pace
_PRIVATE = (
    _NOW
    + _PACE
    + """
return pace(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3])) - now
"""
)

# ARGV: now, interval_ms, burst, limit, period_ms    KEYS: pace, window
_GROUP = (
    _NOW
    + _PACE
    + _WINDOW
    + """
local at = pace(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]))
return book(KEYS[2], now, at, tonumber(ARGV[4]), tonumber(ARGV[5])) - now
"""
)

# ARGV: now, limit, period_ms    KEYS: window
_GLOBAL = (
    _NOW
    + _WINDOW
    + """
return book(KEYS[1], now, now, tonumber(ARGV[2]), tonumber(ARGV[3])) - now
"""
)


class SharedRateLimiter:
    """:class:`bot.sender.RateLimiter`'s limits, booked in Redis."""

    def __init__(
        self,
        redis: Redis,
        global_rate: float = 30.0,
        private_interval: float = 1.0,
        group_per_minute: int = 20,
        *,
        clock: Callable[[], float] | None = None,
        prefix: str = "courtyard:send",
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix
        self._global_limit = max(1, round(global_rate))
        self._private_ms = max(1, round(private_interval * 1000))
        self._group_limit = max(1, group_per_minute)
        self._group_ms = max(1, round(60_000 / self._group_limit))
        self._group_burst = min(GROUP_BURST, self._group_limit)
        self._private = redis.register_script(_PRIVATE)
        self._group = redis.register_script(_GROUP)
        self._global = redis.register_script(_GLOBAL)
        self.local = RateLimiter(global_rate, private_interval, group_per_minute)
        self._warned = 0.0

    async def book_chat(self, chat_id: int, now: float | None = None) -> float:
        """The wait (s) before the chat allows its next send (booked)."""
        arg = "" if now is None else str(round(now * 1000))
        if chat_id < 0:
            keys = [f"{self.prefix}:gpace:{chat_id}", f"{self.prefix}:group:{chat_id}"]
            args: list[str | int] = [arg, self._group_ms, self._group_burst, self._group_limit]
            args.append(round(GROUP_PERIOD_S * 1000))
            wait_ms = await self._group(keys=keys, args=args)
        else:
            keys = [f"{self.prefix}:pace:{chat_id}"]
            wait_ms = await self._private(keys=keys, args=[arg, self._private_ms, PRIVATE_BURST])
        return max(0.0, float(wait_ms) / 1000)

    async def book_global(self, now: float | None = None) -> float:
        """The wait (s) before the next send may go out, all chats together (booked)."""
        arg = "" if now is None else str(round(now * 1000))
        keys = [f"{self.prefix}:global"]
        wait_ms = await self._global(keys=keys, args=[arg, self._global_limit, 1000])
        return max(0.0, float(wait_ms) / 1000)

    async def acquire(self, chat_id: int | None) -> None:
        try:
            if chat_id is not None:
                wait = await self.book_chat(chat_id, self._given_now())
                if wait > 0:
                    await asyncio.sleep(wait)
            wait = await self.book_global(self._given_now())
        except RedisError as exc:
            self._warn(exc)
            await self.local.acquire(chat_id)
            return
        if wait > 0:
            await asyncio.sleep(wait)

    def _given_now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned > 60:
            self._warned = now
            log.warning(
                "send limits: Redis does not answer, pacing this process alone",
                extra={"fields": {"error": str(exc)}},
            )

    async def close(self) -> None:
        await self.redis.aclose()


def send_limits(settings: Any) -> RateLimiter | SharedRateLimiter:
    """The limiter for a process: shared in Redis when the deployment runs several
    processes (COURTYARD_FSM_STORAGE=redis), this process's own otherwise."""
    rates = (
        settings.send_rate_global,
        settings.send_interval_private_s,
        settings.send_per_minute_group,
    )
    if settings.fsm_storage == "redis":
        return SharedRateLimiter(Redis.from_url(settings.redis_url), *rates)
    return RateLimiter(*rates)
