"""The gate terminals of ``bench/gate.py``: a lean HTTP/1.1 client and the three load shapes.

A client on asyncio's protocol API: keep-alive connections, requests encoded before
the clock starts, responses parsed by Content-Length. aiohttp's client took ~0.5 ms
of CPU per request on the same two cores as the server under test; gate terminals
are separate devices, so the load generator should cost as little as it can. The
real API and the baseline are driven by the same client.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection, one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(self.buffer[:head_end]).decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("the bench client needs a Content-Length response")
        total = head_end + 4 + length
        if len(self.buffer) < total:
            return
        body = bytes(self.buffer[head_end + 4 : total])
        del self.buffer[:total]
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc or ConnectionError("connection closed"))

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter


class Terminals:
    """The gate terminals: requests pre-encoded, connections kept alive and reused."""

    def __init__(
        self,
        port: int,
        gate_ids: list[int],
        keys: list[str],
        codes: list[str],
        field: str = "code",
    ):
        self.port = port
        self.field = field  # "code", or "plate" (read with confidence 0.98)
        self.gate_ids = gate_ids
        self.keys = keys
        self.codes = iter(codes)
        self.granted = 0
        self.errors = 0
        self.n = 0
        self.idle: list[HttpConnection] = []
        self.open = 0
        self.limit = 256
        self.waiting: collections.deque[asyncio.Future[HttpConnection]] = collections.deque()

    def encode(self, count: int) -> list[bytes]:
        """The next ``count`` requests, as bytes on the wire."""
        out = []
        for _ in range(count):
            i = self.n % len(self.gate_ids)
            self.n += 1
            fields: dict[str, object] = {self.field: next(self.codes), "terminal": f"t{i}"}
            if self.field == "plate":
                fields["confidence"] = 0.98
            body = json.dumps(fields).encode()
            head = (
                f"POST /v1/gates/{self.gate_ids[i]}/verify HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{self.port}\r\n"
                f"Authorization: Bearer {self.keys[i]}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            out.append(head.encode() + body)
        return out

    async def connect(self, count: int) -> None:
        """Open ``count`` connections up front, as terminals that stay connected."""
        loop = asyncio.get_running_loop()
        for _ in range(count):
            _, conn = await loop.create_connection(HttpConnection, "127.0.0.1", self.port)
            self.open += 1
            self.idle.append(conn)

    async def _acquire(self) -> HttpConnection:
        while self.idle:
            conn = self.idle.pop()
            if not conn.lost:
                return conn
            self.open -= 1
        if self.open < self.limit:
            self.open += 1
            loop = asyncio.get_running_loop()
            _, conn = await loop.create_connection(HttpConnection, "127.0.0.1", self.port)
            return conn
        waiter: asyncio.Future[HttpConnection] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        return await waiter

    def _release(self, conn: HttpConnection) -> None:
        if conn.lost:
            self.open -= 1
            return
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    async def one(self, data: bytes, since: float | None = None) -> float:
        """Send one request; its latency in ms from ``since`` (default: now)."""
        started = time.perf_counter() if since is None else since
        conn = await self._acquire()
        try:
            status, body = await conn.request(data)
        finally:
            self._release(conn)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            self.errors += 1
        else:
            answer = json.loads(body)
            if answer.get("granted") or answer.get("found"):
                self.granted += 1
        return elapsed

    def close(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()
        self.idle.clear()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)


async def sequential(t: Terminals, count: int) -> list[float]:
    await t.connect(1)
    for data in t.encode(50):
        await t.one(data)  # warm up
    return [await t.one(data) for data in t.encode(count)]


async def open_loop(t: Terminals, rate: int, seconds: float) -> list[float]:
    """Requests start on a fixed schedule, whether or not earlier ones finished.

    Each latency runs from the request's scheduled arrival, so a client or server
    falling behind shows up in the numbers instead of slowing the schedule down.
    """
    requests = t.encode(int(rate * seconds))
    await t.connect(16)
    tasks: list[asyncio.Task[float]] = []
    start = time.perf_counter() + 0.05
    for i, data in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(t.one(data, since=due)))
    return list(await asyncio.gather(*tasks))


async def closed_loop(t: Terminals, concurrency: int, count: int) -> float:
    requests = iter(t.encode(count))
    await t.connect(concurrency)

    async def worker() -> None:
        for data in requests:
            await t.one(data)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)
