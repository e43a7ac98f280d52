"""The conversation turns of bot.ordering, kept in Redis for every replica.

Per conversation: a sorted set of the update ids waiting or being handled (score =
id), the deadline of each entry, and a lock naming the update that has the turn.
One Lua script decides a turn atomically: forget entries whose deadline passed (a
replica died), add this update, and grant the turn if it is the lowest id and the
lock is free — or, in webhook mode, tell it to wait out an earlier id not yet
arrived (a global record of arrived ids: all up to a mark, and a set above it).

Waiting costs no polling in the usual case: releasing a turn publishes the
conversation's key, and each process wakes its own waiters for that key. A waiter
also looks again every :data:`POLL_S` (a missed message, a dead holder's lock
expiring). The holder's lock and entry live :data:`TTL_MS` and are refreshed by one
task per process every third of that, so an update of a replica that died blocks
its conversation for at most that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.ordering import ChatTurns

log = logging.getLogger(__name__)

TTL_MS = 15_000
POLL_S = 1.0
ARRIVALS_TTL_MS = 86_400_000  # an idle day resets the record (Telegram may renumber)
# How long a conversation's highest id given a turn is kept: longer than Telegram
# delivers an update again (24 h), so a smaller id may be a delivery again.
LAST_TTL_MS = 48 * 3_600_000

GO, WAIT, GRACE = 0, 1, 2

# KEYS: line, deadlines, lock, arrived-above, arrived-mark, last (highest id given a turn)
# ARGV: id, token, ttl_ms, grace_ms, arrival_ms (0: first call), arrivals_ttl_ms, note (1/0),
#       last_ttl_ms
# Returns {GO, arrival, last before this turn or -1 unknown} / {WAIT, arrival} /
#         {GRACE, arrival, ms left}
_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id, token, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local grace, arrival = tonumber(ARGV[4]), tonumber(ARGV[5])
if arrival == 0 then arrival = now end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
redis.call('PEXPIRE', KEYS[2], 2 * ttl)
local gap = false
local mark
local function advance()
  for _ = 1, 10000 do
    local nxt = string.format('%d', mark + 1)
    if not redis.call('ZSCORE', KEYS[4], nxt) then break end
    redis.call('ZREM', KEYS[4], nxt)
    mark = mark + 1
  end
end
local function save_mark()
  redis.call('SET', KEYS[5], string.format('%d', mark), 'PX', tonumber(ARGV[6]))
  redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[6]))
end
if grace > 0 and ARGV[7] == '1' then
  local known = redis.call('GET', KEYS[5])
  if known then mark = tonumber(known) end
  if (not mark) or id > mark then
    redis.call('ZADD', KEYS[4], ARGV[1], ARGV[1])
    redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[6]))
  end
  if mark then
    advance()
    save_mark()
  end
  gap = (not mark) or mark < id
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if head ~= ARGV[1] then return {1, arrival} end
if gap then
  if now - arrival < grace then return {2, arrival, grace - (now - arrival)} end
  if (not mark) or mark < id - 1 then mark = id - 1 end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', mark)
  advance()
  save_mark()
end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= token then return {1, arrival} end
redis.call('SET', KEYS[3], token, 'PX', ttl)
local last = tonumber(redis.call('GET', KEYS[6]) or '-1')
if last < id then
  redis.call('SET', KEYS[6], ARGV[1], 'PX', tonumber(ARGV[8]))
else
  redis.call('PEXPIRE', KEYS[6], tonumber(ARGV[8]))
end
return {0, arrival, last}
"""

# KEYS: line, deadlines, lock   ARGV: id, token, channel, conversation
_LEAVE = """
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"""

# KEYS: line, deadlines, lock   ARGV: id, token, ttl_ms
_KEEP = """
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]))
redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[3]), ARGV[1])
return 1
"""

# KEYS: arrived-above, arrived-mark   ARGV: id, arrivals_ttl_ms
_ARRIVED = """
local id = tonumber(ARGV[1])
local known = redis.call('GET', KEYS[2])
local mark = known and tonumber(known)
if (not mark) or id > mark then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
if mark then
  for _ = 1, 10000 do
    local nxt = string.format('%d', mark + 1)
    if not redis.call('ZSCORE', KEYS[1], nxt) then break end
    redis.call('ZREM', KEYS[1], nxt)
    mark = mark + 1
  end
  redis.call('SET', KEYS[2], string.format('%d', mark), 'PX', tonumber(ARGV[2]))
end
return 1
"""


def conversation(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id:
        parts.append(f"b{key.business_connection_id}")
    return ":".join(parts)


class RedisTurns(ChatTurns):
    def __init__(
        self, redis: Redis, *, prefix: str = "courtyard:turns", ttl_ms: int = TTL_MS
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_ms = ttl_ms
        self._enter = redis.register_script(_ENTER)
        self._leave = redis.register_script(_LEAVE)
        self._keep = redis.register_script(_KEEP)
        self._arrived = redis.register_script(_ARRIVED)
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._held: dict[str, tuple[list[str], str, str]] = {}  # token -> keys, id, token
        self._listener: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._subscribed: asyncio.Event | None = None

    @property
    def channel(self) -> str:
        return f"{self.prefix}:released"

    def _keys(self, name: str) -> list[str]:
        p = self.prefix
        return [f"{p}:line:{name}", f"{p}:due:{name}", f"{p}:lock:{name}"]

    def _last_key(self, name: str) -> str:
        return f"{self.prefix}:last:{name}"

    def _arrival_keys(self) -> list[str]:
        return [f"{self.prefix}:arrived", f"{self.prefix}:mark"]

    async def arrived(self, update_id: int) -> None:
        if self.grace > 0:
            await self._arrived(keys=self._arrival_keys(), args=[update_id, ARRIVALS_TTL_MS])

    def turn(
        self, key: StorageKey, update_id: int
    ) -> contextlib.AbstractAsyncContextManager[bool | None]:
        return self._turn(conversation(key), update_id, arrived=True)

    @asynccontextmanager
    async def _turn(
        self, name: str, update_id: int, *, arrived: bool
    ) -> AsyncIterator[bool | None]:
        await self._start()
        keys = self._keys(name)
        token = uuid.uuid4().hex
        entered = False
        try:
            last = await self._wait(name, keys, update_id, token, arrived)
            entered = True
            self._held[token] = (keys, str(update_id), token)
            yield None if last < 0 else update_id <= last
        finally:
            self._held.pop(token, None)
            # Leave even when waiting was given up: the entry must not hold the line.
            with contextlib.suppress(Exception):
                await self._leave(keys=keys, args=[update_id, token, self.channel, name])
            if not entered:
                log.debug("gave up waiting for a turn", extra={"fields": {"update": update_id}})

    async def _wait(
        self, name: str, keys: list[str], update_id: int, token: str, arrived: bool
    ) -> int:
        """Wait for the turn; the conversation's highest id given a turn before it
        (-1: not known)."""
        loop = asyncio.get_running_loop()
        grace_ms = round(self.grace * 1000)
        arrival = 0
        while True:
            waker: asyncio.Future[None] = loop.create_future()
            waiters = self._waiters.setdefault(name, set())
            waiters.add(waker)  # before asking: a release after the answer wakes it
            try:
                answer = await self._enter(
                    keys=[*keys, *self._arrival_keys(), self._last_key(name)],
                    args=[
                        update_id,
                        token,
                        self.ttl_ms,
                        grace_ms,
                        arrival,
                        ARRIVALS_TTL_MS,
                        1 if arrived else 0,
                        LAST_TTL_MS,
                    ],
                )
                status, arrival = int(answer[0]), int(answer[1])
                if status == GO:
                    return int(answer[2])
                timeout = int(answer[2]) / 1000 if status == GRACE else POLL_S
                await asyncio.wait((waker,), timeout=timeout)
            finally:
                waiters.discard(waker)
                if not waiters and self._waiters.get(name) is waiters:
                    del self._waiters[name]

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        """A turn after the updates now waiting (for callers without an update id)."""
        name = conversation(key)
        waiting = await self.redis.zrange(self._keys(name)[0], -1, -1, withscores=True)
        async with self._turn(name, int(waiting[0][1]) + 1 if waiting else 1, arrived=False):
            yield

    async def _start(self) -> None:
        if self._listener is None:
            self._subscribed = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(), name="turns-listener")
            self._keeper = asyncio.create_task(self._keep_held(), name="turns-keeper")
        assert self._subscribed is not None
        if not self._subscribed.is_set():
            # Subscribed before the first wait, or its release message could be missed
            # (the poll would still find it, a second later).
            await asyncio.wait_for(self._subscribed.wait(), 5)

    async def _listen(self) -> None:
        assert self._subscribed is not None
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        self._wake(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: the waiters poll meanwhile
                self._subscribed.set()
                log.warning("turns: Redis subscription lost", extra={"fields": {"error": str(exc)}})
                await asyncio.sleep(POLL_S)

    def _wake(self, message: dict[str, Any]) -> None:
        data = message.get("data")
        name = data.decode() if isinstance(data, bytes) else str(data)
        for waker in self._waiters.get(name, ()):
            if not waker.done():
                waker.set_result(None)

    async def _keep_held(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            for keys, update_id, token in list(self._held.values()):
                try:
                    await self._keep(keys=keys, args=[update_id, token, self.ttl_ms])
                except Exception as exc:
                    log.warning(
                        "turns: could not keep a turn", extra={"fields": {"error": str(exc)}}
                    )

    async def close(self) -> None:
        for task in (self._listener, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._listener = self._keeper = None
