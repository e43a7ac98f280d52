"""A pool of objects that are not thread-safe, each lent to one thread at a time."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class LendingPool:
    """Instances of an object that is not thread-safe, lent to one thread at a time.

    dlib's HOG detector keeps its feature pyramid in the object itself: two threads
    running the same detector corrupt each other's results (and can abort the process).
    It does release the GIL, so a detector per concurrent caller buys real parallelism.
    Building one takes about half a second, so they are made on demand, up to ``size``.
    """

    def __init__(self, factory: Callable[[], Any], size: int) -> None:
        self._factory = factory
        self._size = max(1, size)
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._free.put(factory())
        self._made = 1
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self) -> Iterator[Any]:
        try:
            item = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                make = self._made < self._size
                if make:
                    self._made += 1
            item = self._factory() if make else self._free.get()
        try:
            yield item
        finally:
            self._free.put(item)
