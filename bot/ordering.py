"""One conversation's updates handled one at a time, in the order Telegram sent them.

Telegram numbers updates in the order they happened. An update takes its turn
(:meth:`ChatTurns.turn`) when it is the lowest id waiting for its conversation
(the aiogram FSM key: chat, user, topic) and none of that conversation's updates is
being handled; it keeps the turn until its transaction has committed.

Arrival order is not Telegram's order in webhook mode: Telegram posts several
updates at once, and behind a load balancer the later one can reach its replica
first. An update that finds no earlier one of its conversation waiting may still
have one on the way, so the turns also follow which ids have arrived at all (any
conversation's): while an id below the update's has not arrived, it waits up to
``grace`` seconds from its own arrival, then goes (the missing id counts as lost:
ids Telegram never sends, such as those of filtered update types, cost one grace
wait, and so does the first update a process — or Redis — sees). In polling mode
the updates come in order and ``grace`` is 0.

:class:`LocalTurns` keeps the turns in this process (one bot process);
:class:`bot.ordering_redis.RedisTurns` keeps them in Redis for every replica.
See docs/decisions/0019-delivery-guarantee.md.
"""

from __future__ import annotations

import asyncio
import heapq
from abc import abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

# In webhook mode: how long an update waits for an earlier id still on its way.
WEBHOOK_GRACE_S = 0.05


class ChatTurns(BaseEventIsolation):
    """Per-conversation turns in update id order (see the module docstring)."""

    grace: float = 0.0  # set by the webhook runner (bot.webhook)

    @abstractmethod
    def turn(self, key: StorageKey, update_id: int) -> AbstractAsyncContextManager[bool | None]:
        """Async context manager: the update's turn, held for the body. It gives
        whether an id as high was given a turn in this conversation before (the update
        may be a delivery again), or None when that is not known."""

    @abstractmethod
    async def arrived(self, update_id: int) -> None:
        """An update without a conversation arrived (it takes no turn): later ids
        need not wait for it."""


class Arrivals:
    """Which update ids have arrived: all ids up to ``mark``, plus ``above`` it.

    Before the first give-up the mark is unknown: the first update waits out the
    grace too, so updates posted together with it are ordered as well.
    """

    __slots__ = ("above", "mark")

    def __init__(self) -> None:
        self.mark: int | None = None
        self.above: set[int] = set()

    def add(self, update_id: int) -> None:
        if self.mark is None or update_id > self.mark:
            self.above.add(update_id)
            self._advance()

    def gap_below(self, update_id: int) -> bool:
        """Some id below ``update_id`` may not have arrived."""
        return self.mark is None or self.mark < update_id

    def give_up_below(self, update_id: int) -> None:
        """Every id below ``update_id`` that has not arrived counts as lost."""
        if self.mark is None or self.mark < update_id - 1:
            self.mark = update_id - 1
            self.above = {i for i in self.above if i > self.mark}
            self._advance()

    def _advance(self) -> None:
        if self.mark is None:
            return
        while self.mark + 1 in self.above:
            self.mark += 1
            self.above.discard(self.mark)


class _Line:
    """The updates of one conversation in this process."""

    __slots__ = ("busy", "ids", "wakers")

    def __init__(self) -> None:
        self.ids: list[int] = []  # waiting, a heap (a redelivered id may be there twice)
        self.busy = False
        self.wakers: set[asyncio.Future[None]] = set()

    def wake(self) -> None:
        """Every waiter looks again (a conversation rarely has more than a few)."""
        for waker in self.wakers:
            if not waker.done():
                waker.set_result(None)


class LocalTurns(ChatTurns):
    """The turns of one process: a line of waiting ids per conversation."""

    def __init__(self) -> None:
        self._lines: dict[StorageKey, _Line] = {}
        self._arrivals = Arrivals()
        self._graced: set[asyncio.Future[None]] = set()  # heads waiting out a gap

    async def arrived(self, update_id: int) -> None:
        if self.grace > 0:
            self._note(update_id)

    def _note(self, update_id: int) -> None:
        before = self._arrivals.mark
        self._arrivals.add(update_id)
        if self._arrivals.mark != before:
            for waker in self._graced:
                if not waker.done():
                    waker.set_result(None)

    def turn(self, key: StorageKey, update_id: int) -> AbstractAsyncContextManager[bool | None]:
        # One process: the ledger knows what it took (bot.ledger); nothing to tell.
        return self._turn(key, update_id, arrived=True)

    @asynccontextmanager
    async def _turn(
        self, key: StorageKey, update_id: int, *, arrived: bool
    ) -> AsyncIterator[bool | None]:
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _Line()
        if arrived and self.grace > 0:
            self._note(update_id)
        heapq.heappush(line.ids, update_id)
        try:
            await self._wait(line, update_id, arrived=arrived)
        except BaseException:
            line.ids.remove(update_id)
            heapq.heapify(line.ids)
            line.wake()
            self._forget_if_idle(key, line)
            raise
        heapq.heappop(line.ids)
        line.busy = True
        try:
            yield None
        finally:
            line.busy = False
            line.wake()
            self._forget_if_idle(key, line)

    async def _wait(self, line: _Line, update_id: int, *, arrived: bool = True) -> None:
        loop = asyncio.get_running_loop()
        arrival = loop.time()
        while True:
            if not line.busy and line.ids[0] == update_id:
                if not arrived or self.grace <= 0 or not self._arrivals.gap_below(update_id):
                    return
                remaining = self.grace - (loop.time() - arrival)
                if remaining <= 0:
                    self._arrivals.give_up_below(update_id)
                    return
            else:
                remaining = None
            waker = loop.create_future()
            line.wakers.add(waker)
            if remaining is not None:
                self._graced.add(waker)
            try:
                await asyncio.wait((waker,), timeout=remaining)
            finally:
                self._graced.discard(waker)
                line.wakers.discard(waker)

    def _forget_if_idle(self, key: StorageKey, line: _Line) -> None:
        if not line.busy and not line.ids and self._lines.get(key) is line:
            del self._lines[key]

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        """A turn after every update now waiting (for callers without an update id)."""
        line = self._lines.get(key)
        last = max(line.ids, default=0) if line is not None else 0
        async with self._turn(key, last + 1, arrived=False):
            yield

    async def close(self) -> None:
        self._lines.clear()
