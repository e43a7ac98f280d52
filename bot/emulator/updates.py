"""The bot's update queue: long polling (getUpdates) and webhook delivery.

Semantics copied from Telegram because aiogram's polling loop depends on them:

* update ids increase monotonically; ``offset`` confirms every update with a
  smaller id, a negative offset keeps only the last ``-offset`` updates;
* a waiting getUpdates returns as soon as an update is queued;
* a second concurrent getUpdates terminates the first with 409 Conflict, and
  getUpdates while a webhook is set is a 409 Conflict too;
* ``allowed_updates`` (from getUpdates or setWebhook) persists and filters
  updates created afterwards; the default excludes chat_member and reactions.

Updates injected by tests with an old update_id (to simulate a redelivery) are
exempt from offset confirmation until delivered once, otherwise the bot's
offset would silently swallow them.
"""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.emulator.errors import BotAPIError, conflict
from bot.emulator.events import EventBus, Notifier
from bot.emulator.params import Params, read_multipart
from bot.emulator.state import WebhookConfig, now

log = logging.getLogger(__name__)

# Update types a bot receives when it did not ask for a specific list.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Runs a Bot API method returned in a webhook response.
WebhookReply = Callable[[str, Params], Awaitable[Any]]


def update_type(update: dict[str, Any]) -> str:
    """The payload key of an update ("message", "callback_query", ...)."""
    return next((k for k in update if k != "update_id"), "unknown")


@dataclass
class _Entry:
    update: dict[str, Any]
    delivered: bool = False
    # Injected with an id below ones already issued (duplicate-delivery tests).
    stale: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    """Pending updates plus the getUpdates long-poll protocol."""

    def __init__(self, events: EventBus, webhook: WebhookConfig, first_id: int = 1) -> None:
        self._events = events
        self._webhook = webhook
        self._pending: list[_Entry] = []
        self._next_id = first_id
        self._notifier = Notifier()
        self._poll_generation = 0
        self._closing = False
        self.allowed_updates: list[str] | None = None
        # As Telegram: up to the webhook's max_connections updates in flight at once,
        # each posted again until it gets a 2xx (off: one at a time, in order).
        self.webhook_parallel = False

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @property
    def undelivered_count(self) -> int:
        """Updates the bot has not fetched even once."""
        return sum(1 for e in self._pending if not e.delivered)

    def pending(self) -> list[dict[str, Any]]:
        return [e.update for e in self._pending]

    def wants(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_DEFAULT_UPDATES

    def put(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue a new update; returns its id, or None if allowed_updates filters it."""
        if not self.wants(kind):
            return None
        update_id = self._next_id
        self._next_id += 1
        self._append(_Entry({"update_id": update_id, kind: payload}))
        return update_id

    def continue_after(self, update_id: int) -> None:
        """Number new updates after ``update_id``, as Telegram never reuses an id (a
        restarted emulator facing a database that remembers the ids it handled)."""
        self._next_id = max(self._next_id, update_id + 1)

    def inject(self, update: dict[str, Any]) -> int:
        """Queue a raw update as given (a fresh id is assigned when it has none)."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_id
        update_id = int(update["update_id"])
        stale = update_id < self._next_id
        self._next_id = max(self._next_id, update_id + 1)
        self._append(_Entry(update, stale=stale))
        return update_id

    def _append(self, entry: _Entry) -> None:
        self._pending.append(entry)
        self._events.emit(
            "update_queued",
            None,
            update_id=entry.update_id,
            update_type=update_type(entry.update),
            update=entry.update,
        )
        self._notifier.notify()

    def clear(self) -> None:
        """drop_pending_updates."""
        self._pending.clear()

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [
                e for e in self._pending if e.update_id >= offset or (e.stale and not e.delivered)
            ]

    def shutdown(self) -> None:
        """Let waiting long polls return empty right away (emulator stopping)."""
        self._closing = True
        self._notifier.notify()

    def terminate_polls(self) -> None:
        """Make any waiting getUpdates give up (webhook set, shutdown)."""
        self._poll_generation += 1
        self._notifier.notify()

    async def get_updates(
        self,
        offset: int | None,
        limit: int,
        timeout: float,
        allowed_updates: list[str] | None,
    ) -> list[dict[str, Any]]:
        if self._webhook.url:
            raise conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates
        if offset:
            self._confirm(offset)
        self.terminate_polls()
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        limit = min(max(limit, 1), 100)
        while True:
            if self._closing:
                return []
            if generation != self._poll_generation:
                if self._webhook.url:
                    raise conflict(
                        "can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first"
                    )
                raise conflict(
                    "terminated by other getUpdates request; "
                    "make sure that only one bot instance is running"
                )
            batch = self._pending[:limit]
            if batch:
                for entry in batch:
                    entry.delivered = True
                return [e.update for e in batch]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._notifier.wait(remaining)

    # ------------------------------------------------------------------ webhook

    async def run_webhook(self, reply: WebhookReply) -> None:
        """Deliver pending updates to the webhook URL, in order, forever.

        A failed delivery is retried with a short backoff (Telegram retries
        for much longer; tests want to see recovery quickly). A webhook reply
        that contains a "method" is executed as a Bot API call, as Telegram does.
        """
        backoff = 0.1
        async with aiohttp.ClientSession() as session:
            while not self._closing:
                if self.webhook_parallel:
                    await self._run_parallel(reply, session)
                    return
                if not self._webhook.url or not self._pending:
                    await self._notifier.wait(3600)
                    continue
                entry = self._pending[0]
                config = self._webhook
                headers = {"Content-Type": "application/json"}
                if config.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
                try:
                    async with session.post(
                        config.url,
                        data=json.dumps(entry.update),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=60),
                    ) as response:
                        if response.status >= 300:
                            raise _WebhookFailure(
                                f"Wrong response from the webhook: "
                                f"{response.status} {response.reason}"
                            )
                        call = await _read_reply(response)
                except (aiohttp.ClientError, TimeoutError, _WebhookFailure) as exc:
                    message = (
                        str(exc)
                        if isinstance(exc, _WebhookFailure)
                        else (f"Connection error: {exc.__class__.__name__}")
                    )
                    config.last_error_date = now()
                    config.last_error_message = message
                    self._events.emit("webhook_failed", None, url=config.url, error=message)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                backoff = 0.1
                if self._pending and self._pending[0] is entry:
                    self._pending.pop(0)
                self._events.emit("webhook_delivered", None, update_id=entry.update_id)
                if call is not None:
                    try:
                        await reply(*call)
                    except BotAPIError as exc:
                        # Telegram drops errors of webhook replies silently; we log them.
                        log.info("webhook reply %s failed: %s", call[0], exc)

    async def _run_parallel(self, reply: WebhookReply, session: aiohttp.ClientSession) -> None:
        in_flight: dict[int, asyncio.Task[None]] = {}

        def done(key: int, _task: object) -> None:
            in_flight.pop(key, None)
            self._notifier.notify()

        try:
            while not self._closing:
                limit = max(1, self._webhook.max_connections)
                for entry in list(self._pending) if self._webhook.url else []:
                    if len(in_flight) >= limit:
                        break
                    if id(entry) not in in_flight:
                        task = asyncio.create_task(self._deliver_until_ok(entry, reply, session))
                        in_flight[id(entry)] = task
                        task.add_done_callback(functools.partial(done, id(entry)))
                await self._notifier.wait(3600)
        finally:
            for task in in_flight.values():
                task.cancel()

    def _holds(self, entry: _Entry) -> bool:
        return any(e is entry for e in self._pending)

    async def _deliver_until_ok(
        self, entry: _Entry, reply: WebhookReply, session: aiohttp.ClientSession
    ) -> None:
        backoff = 0.1
        while not self._closing and self._holds(entry) and self._webhook.url:
            config = self._webhook
            headers = {"Content-Type": "application/json"}
            if config.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
            try:
                async with session.post(
                    config.url,
                    data=json.dumps(entry.update),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as response:
                    if response.status >= 300:
                        raise _WebhookFailure(f"Wrong response from the webhook: {response.status}")
                    call = await _read_reply(response)
            except (aiohttp.ClientError, TimeoutError, _WebhookFailure) as exc:
                config.last_error_date = now()
                config.last_error_message = str(exc) or exc.__class__.__name__
                self._events.emit("webhook_failed", None, url=config.url, error=str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            self._pending = [e for e in self._pending if e is not entry]
            self._events.emit("webhook_delivered", None, update_id=entry.update_id)
            if call is not None:
                try:
                    await reply(*call)
                except BotAPIError as exc:
                    log.info("webhook reply %s failed: %s", call[0], exc)
            return


async def _read_reply(response: aiohttp.ClientResponse) -> tuple[str, Params] | None:
    """A Bot API call embedded in a webhook response (JSON or, like aiogram, multipart)."""
    if response.content_type == "multipart/form-data":
        values, uploads = await read_multipart(aiohttp.MultipartReader.from_response(response))
    else:
        body = await response.read()
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        values, uploads = dict(payload), {}
    method = values.pop("method", None)
    if not isinstance(method, str):
        return None
    return method, Params(values, uploads)


class _WebhookFailure(Exception):
    """The webhook answered with a non-2xx status."""
