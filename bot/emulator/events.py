"""Event log of everything that happens in the emulator, plus wake-up plumbing.

Every state change (a message sent by the bot or a user, an edit, a callback
answer, a topic created...) is appended as an `Event`. The log feeds three
consumers: `expect()` in the Python client (scans forward from a cursor), the
Server-Sent Events stream at ``/_emulator/events`` (replay + live), and
debugging dumps. A bounded deque keeps a long-running sandbox from growing
without limit.
"""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")


async def wait_result(future: asyncio.Future[T], timeout: float) -> T:
    """The future's result, or TimeoutError after `timeout` seconds.

    Unlike asyncio.wait_for on Python 3.11, this cannot swallow a cancellation
    of the waiting task that races with the future completing.
    """
    done, _ = await asyncio.wait({future}, timeout=timeout)
    if not done:
        raise TimeoutError
    return future.result()


class Notifier:
    """Wake every coroutine waiting for "something changed".

    Waiters check their condition, then call `wait()`; since the event loop is
    single-threaded and no await separates the check from the wait, a
    notification cannot slip in between and be lost.
    """

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def notify(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)
        self._future = None

    async def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True if notified."""
        if timeout <= 0:
            return False
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
        # asyncio.wait, unlike wait_for on Python 3.11, never swallows a
        # cancellation that races with the notification, and it leaves the
        # shared future alone on timeout.
        done, _ = await asyncio.wait({self._future}, timeout=timeout)
        if not done:
            return False
        return True


@dataclass
class Event:
    """One thing that happened; `data` is JSON-ready."""

    seq: int
    type: str
    chat_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "chat_id": self.chat_id,
            "time": self.time,
            **self.data,
        }


class EventBus:
    """Append-only event log with waiting and live subscriptions."""

    def __init__(self, history: int = 100_000) -> None:
        self._events: deque[Event] = deque(maxlen=history)
        self._seq = 0
        self._notifier = Notifier()
        self._subscribers: set[asyncio.Queue[Event]] = set()

    @property
    def last_seq(self) -> int:
        return self._seq

    def emit(self, type_: str, chat_id: int | None = None, **data: Any) -> Event:
        self._seq += 1
        event = Event(self._seq, type_, chat_id, data)
        self._events.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)
        self._notifier.notify()
        return event

    def since(self, seq: int) -> Iterator[Event]:
        """Events with a sequence number greater than `seq`, oldest first."""
        if not self._events:
            return iter(())
        # Sequence numbers are contiguous, so the start position is computed;
        # the slice is copied so emitting while iterating is safe.
        skip = max(0, seq - self._events[0].seq + 1)
        return iter(list(islice(self._events, skip, None)))

    async def wait_for(
        self, predicate: Callable[[Event], bool], after: int, timeout: float
    ) -> Event | None:
        """First event after `after` satisfying `predicate`, waiting up to `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        cursor = after
        while True:
            for event in self.since(cursor):
                cursor = event.seq
                if predicate(event):
                    return event
            if not await self._notifier.wait(deadline - loop.time()):
                # One last look: an event may have landed right at the deadline.
                for event in self.since(cursor):
                    if predicate(event):
                        return event
                return None

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(queue)
