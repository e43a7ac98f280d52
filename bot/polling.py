"""Long polling that confirms an update to Telegram only once it has been handled.

aiogram's polling loop confirms each batch (the next ``getUpdates`` offset) as soon
as it has started the batch's handlers: a process that dies then loses every update
it was still working on. Here the offset never passes an update still in flight:
it is the lowest id in flight (or one past the highest taken), so after a crash
Telegram delivers again whatever was not finished, and the ledger (bot.ledger)
skips what was. Telegram answers ``getUpdates`` with at most 100 updates from the
offset, so while one update takes long (a busy group's send limit) this process
works on at most 100 beyond it. While an update is in flight Telegram answers at
once (it still holds that one), so an answer with nothing new is followed by the
next request when an update finishes, but no sooner than :data:`BUSY_GAP_S` and no
later than :data:`BUSY_POLL_S` (a new update waits at most that long).

An update this aiogram cannot read (a field of a type it does not expect) is
logged and skipped (confirmed like a finished one); the batch is read update by
update, so one bad update never makes the whole ``getUpdates`` answer fail and
polling retry the same batch forever.

On stop (SIGTERM, :meth:`Dispatcher.stop_polling`) it takes nothing new, waits
for the updates in flight, and confirms them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, cast

from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 5
BUSY_GAP_S = 0.05
BUSY_POLL_S = 0.25


class RawGetUpdates(GetUpdates):
    """``getUpdates`` answered as plain JSON objects, read one by one afterwards."""

    __returning__ = list[dict[str, Any]]  # type: ignore[assignment]


class ConfirmedPolling:
    """The state of one polling loop: what is taken, in flight, and confirmed."""

    def __init__(self, dp: Dispatcher, bot: Bot, kwargs: dict[str, Any]) -> None:
        self.dp = dp
        self.bot = bot
        self.kwargs = kwargs
        self.offset: int | None = None  # every id below it is confirmed
        self.taken: set[int] = set()  # ids at or above the offset already started
        self.in_flight: dict[int, asyncio.Task[Any]] = {}
        self.finished = asyncio.Event()

    def next_offset(self) -> int | None:
        if self.in_flight:
            offset: int | None = min(self.in_flight)
        elif self.taken:
            offset = max(self.taken) + 1
        else:
            offset = self.offset
        if offset is not None:
            self.taken = {i for i in self.taken if i >= offset}
        self.offset = offset
        return offset

    def read(self, batch: list[dict[str, Any]]) -> list[Update]:
        """The batch's updates; one that does not parse is logged once and taken
        as finished (its id confirmed with the rest)."""
        updates = []
        for raw in batch:
            try:
                updates.append(Update.model_validate(raw, context={"bot": self.bot}))
            except ValidationError as exc:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if not isinstance(update_id, int) or update_id in self.taken:
                    continue
                self.taken.add(update_id)
                log.error(
                    "skipped an update that could not be read",
                    extra={
                        "fields": {
                            "update_id": update_id,
                            "kinds": sorted(k for k in raw if k != "update_id"),
                            "error": str(exc.errors()[:3]),
                        }
                    },
                )
        return updates

    def take(self, updates: list[Update]) -> list[Update]:
        fresh = [u for u in updates if u.update_id not in self.taken]
        for update in fresh:
            self.taken.add(update.update_id)
            task = asyncio.create_task(
                self.dp._process_update(bot=self.bot, update=update, **self.kwargs)
            )
            self.in_flight[update.update_id] = task
            task.add_done_callback(self._done)
        return fresh

    def _done(self, task: asyncio.Task[Any]) -> None:
        for update_id, running in list(self.in_flight.items()):
            if running is task:
                del self.in_flight[update_id]
        self.finished.set()

    async def drain(self) -> None:
        """Wait for every update in flight (each ends by itself: errors are handled)."""
        while self.in_flight:
            await asyncio.gather(*self.in_flight.values(), return_exceptions=True)


async def confirmed_polling(
    dp: Dispatcher,
    bot: Bot,
    polling_timeout: int = 30,
    handle_as_tasks: bool = True,
    backoff_config: BackoffConfig | None = None,
    allowed_updates: list[str] | None = None,
    tasks_concurrency_limit: int | None = None,  # the dispatcher bounds its own work
    **kwargs: Any,
) -> None:
    """Drop-in for aiogram 3.31's ``Dispatcher._polling`` (see the module docstring)."""
    from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG

    user = await bot.me()
    log.info("polling", extra={"fields": {"bot": user.username}})
    backoff = Backoff(config=backoff_config or DEFAULT_BACKOFF_CONFIG)
    get_updates = RawGetUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
    request: dict[str, Any] = {}
    if bot.session.timeout:
        request["request_timeout"] = int(bot.session.timeout + polling_timeout)
    state = ConfirmedPolling(dp, bot, kwargs)
    try:
        while True:
            get_updates.offset = state.next_offset()
            state.finished.clear()
            try:
                batch = cast(list[dict[str, Any]], await bot(get_updates, **request))
            except Exception as exc:
                log.error(
                    "could not fetch updates, trying again",
                    extra={"fields": {"error": f"{type(exc).__name__}: {exc}"}},
                )
                await backoff.asleep()
                continue
            backoff.reset()
            fresh = state.take(state.read(batch))
            if not handle_as_tasks:
                await state.drain()
            elif not fresh and state.in_flight:
                # Everything Telegram holds from the offset is taken: wait for progress.
                await asyncio.sleep(BUSY_GAP_S)
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow the
                # cancellation that stop_polling sends, and the loop would go on.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(BUSY_POLL_S - BUSY_GAP_S):
                        await state.finished.wait()
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await state.drain()
        offset = state.next_offset()
        if offset is not None and offset != get_updates.offset:
            # Confirm what was finished, so a restart does not fetch it again.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                async with asyncio.timeout(CONFIRM_TIMEOUT_S):
                    await bot(GetUpdates(offset=offset, limit=1, timeout=0))
