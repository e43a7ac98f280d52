"""Plumbing routes: raw updates, the API call log, files, and the event stream (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict

from aiohttp import web

from bot.emulator.control.common import ControlBase, error, ok
from bot.emulator.events import Event

SSE_KEEPALIVE = 15.0


class StreamRoutes(ControlBase):
    """Updates injected by hand, what the bot called, stored files, and live events."""

    async def inject(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return ok({"update_id": self.core.updates.inject(body)})

    async def pending(self, request: web.Request) -> web.Response:
        return ok(self.core.updates.pending())

    async def calls(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", 100))
        return ok([asdict(c) for c in self.core.calls[-limit:]])

    async def file(self, request: web.Request) -> web.Response:
        stored = self.core.world.files.get(request.match_info["file_id"])
        if stored is None:
            return error("unknown file", 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def event_log(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        limit = int(request.query.get("limit", 500))
        events = list(self.core.events.since(since))[:limit]
        return ok([e.to_json() for e in events])

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: replay from ``?since=`` / Last-Event-ID, then live."""
        start = request.query.get("since") or request.headers.get("Last-Event-ID")
        cursor = int(start) if start else self.core.events.last_seq
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        # Subscribe before replaying so nothing emitted in between is lost.
        queue = self.core.events.subscribe()
        try:
            for event in self.core.events.since(cursor):
                await response.write(_sse(event))
                cursor = event.seq
            await response.write(b": connected\n\n")
            while not self._closing.is_set():
                live = await _next_event(queue, self._closing)
                if live is None:
                    await response.write(b": keepalive\n\n")
                elif live.seq > cursor:
                    await response.write(_sse(live))
                    cursor = live.seq
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.core.events.unsubscribe(queue)
        return response


async def _next_event(queue: asyncio.Queue[Event], closing: asyncio.Event) -> Event | None:
    """Next queued event, or None on keepalive timeout / shutdown."""
    getter = asyncio.ensure_future(queue.get())
    stopper = asyncio.ensure_future(closing.wait())
    done, _ = await asyncio.wait(
        {getter, stopper}, timeout=SSE_KEEPALIVE, return_when=asyncio.FIRST_COMPLETED
    )
    for task in (getter, stopper):
        if task not in done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return getter.result() if getter in done else None


def _sse(event: Event) -> bytes:
    data = json.dumps(event.to_json(), ensure_ascii=False)
    return f"id: {event.seq}\ndata: {data}\n\n".encode()
