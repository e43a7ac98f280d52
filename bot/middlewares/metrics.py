"""Counts every update by type and outcome and times it (``core.metrics``).

The first of our update middlewares: its time covers the turn wait, the
transaction and the commit. Outcomes: ``handled``, ``unhandled`` (no handler
matched), ``duplicate`` (delivered again, skipped by the ledger: ``bot.ledger``),
``error`` (a handler raised; the error handler answered the person).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

from core.metrics import UPDATE_SECONDS, UPDATES

DUPLICATE_KEY = "update_duplicate"  # set by DbSessionMiddleware when it skips one

# The labelled series, looked up once each: ``labels()`` takes a lock and builds its
# key on every call, a noticeable share of a fast update's cost (decision 0010).
_counted: dict[tuple[str, str], Any] = {}
_timed: dict[str, Any] = {}


def _count(kind: str, outcome: str) -> Any:
    series = _counted.get((kind, outcome))
    if series is None:
        series = _counted[(kind, outcome)] = UPDATES.labels(kind, outcome)
    return series


def _timer(kind: str) -> Any:
    series = _timed.get(kind)
    if series is None:
        series = _timed[kind] = UPDATE_SECONDS.labels(kind)
    return series


class UpdateMetricsMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = (event.event_type if isinstance(event, Update) else None) or "unknown"
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            if data.get(DUPLICATE_KEY):
                outcome = "duplicate"
            elif result is UNHANDLED:
                outcome = "unhandled"
            else:
                outcome = "handled"
            return result
        finally:
            _count(kind, outcome).inc()
            _timer(kind).observe(time.perf_counter() - started)
