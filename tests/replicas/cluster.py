"""A deployment in processes for the replica test: `courtyard` processes with their
logs, and a small round-robin HTTP balancer in front of some of them.

The balancer passes a request to the next backend in turn. A backend that refuses
the connection (dead, not started) is skipped for the next one, as a balancer's
health check would; one that drops the connection mid-request (killed while
handling) is a 502 for the caller — Telegram then delivers the update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.replicas.conftest import courtyard

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class Balancer:
    backends: list[str]
    port: int
    answered: dict[str, int] = field(default_factory=dict)
    dropped: int = 0  # requests a backend dropped mid-way (502 to the caller)
    _runner: web.AppRunner | None = None
    _http: aiohttp.ClientSession | None = None
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        start = next(self._turn)
        for attempt in range(len(self.backends)):
            backend = self.backends[(start + attempt) % len(self.backends)]
            try:
                async with self._http.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as response:
                    payload = await response.read()
                    self.answered[backend] = self.answered.get(backend, 0) + 1
                    return web.Response(
                        status=response.status,
                        body=payload,
                        content_type=response.content_type,
                    )
            except aiohttp.ClientConnectorError:
                continue  # not listening: the next one
            except (TimeoutError, aiohttp.ClientError):
                self.dropped += 1
                return web.Response(status=502, text="backend dropped the request")
        return web.Response(status=503, text="no backend")


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    cwd: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.cwd / f"{self.name}.log"

    def start(self) -> Proc:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*courtyard(), *self.args], env=self.env, cwd=self.cwd, stdout=out, stderr=out
            )
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def until(self, text: str, within: float = 120) -> None:
        assert self.proc is not None
        for _ in range(int(within * 10)):
            if text in self.text():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.tail()}")
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name}: no {text!r} within {within}s:\n{self.tail()}")

    async def exit_code(self, within: float = 120) -> int:
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, within)

    def tail(self) -> str:
        return self.text()[-3000:]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def stop(self, within: float = 10) -> None:
        """SIGTERM, then SIGKILL if it has not stopped within ``within`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(within)
        self.kill()
