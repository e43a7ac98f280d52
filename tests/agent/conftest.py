"""A gate server (the real gate API on a port, in this process) and gate agents (real
processes): two communities, A with two gates and an agent, B with one gate."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from access.api import serve
from access.gates import create_gate
from access.passes.issuing import issue_visitor_pass
from access.service import AccessRuntime
from access.sync.admin import create_agent
from tests.access.conftest import RecordingNotifier
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_unit
from tests.replicas.conftest import courtyard, free_port


@dataclass
class World:
    community_a: int
    community_b: int
    host_a: int
    unit_a: int
    host_b: int
    unit_b: int
    gates: dict[str, int]
    keys: dict[str, str]
    agent_id: int
    agent_key: str
    agent_b_id: int
    agent_b_key: str
    agent_secret: str
    agent_b_secret: str


@pytest.fixture
async def world(session) -> World:
    a = await make_community(session, "阳光花园")
    b = await make_community(session, "翠湖苑")
    unit_a = await make_unit(session, a, "3栋", "1201")
    unit_b = await make_unit(session, b, "1栋", "101")
    host_a, _ = await make_resident(session, unit_a, telegram_id=6001, name="王小明")
    host_b, _ = await make_resident(session, unit_b, telegram_id=6002, name="李四")
    gates: dict[str, int] = {}
    keys: dict[str, str] = {}
    for community, name in ((a, "东门"), (a, "北门"), (b, "南门")):
        created = await create_gate(
            session, secret_key=TEST_SECRET, community_id=community.id, name=name
        )
        gates[name], keys[name] = created.gate.id, created.api_key
    agent = await create_agent(
        session,
        secret_key=TEST_SECRET,
        community_id=a.id,
        name="guard house",
        gate_ids=[gates["东门"], gates["北门"]],
    )
    agent_b = await create_agent(
        session, secret_key=TEST_SECRET, community_id=b.id, name="b", gate_ids=[gates["南门"]]
    )
    await session.commit()
    return World(
        a.id, b.id, host_a.id, unit_a.id, host_b.id, unit_b.id, gates, keys,
        agent.id, agent.api_key, agent_b.id, agent_b.api_key, agent.secret, agent_b.secret,
    )  # fmt: skip


async def issue(
    session: Any, host: int, unit: int, *, multi: bool = False, hours: float = 4
) -> Any:
    now = datetime.now(UTC)
    issued = await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=now,
        host_person_id=host,
        host_unit_id=unit,
        purpose="visit",
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(hours=hours),
        multi_entry=multi,
        gate_ids=[],
        holder_name="张三",
    )
    await session.commit()
    return issued


@dataclass
class Server:
    runtime: AccessRuntime
    notifier: RecordingNotifier
    port: int
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.runner = await serve(self.runtime, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    notifier = RecordingNotifier()
    runtime = AccessRuntime(database_url=database_url, secret_key=TEST_SECRET, notifier=notifier)
    srv = Server(runtime, notifier, free_port())
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()
        await runtime.close()


@dataclass
class Agent:
    args: list[str]
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    calls: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=out)

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    async def health(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}/v1/health") as r:
            return dict(await r.json())

    async def wait_for(self, check: Any, within: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + within
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("the agent exited:\n" + self.log.read_text()[-3000:])
            try:
                last = await self.health()
                if check(last):
                    return last
            except aiohttp.ClientError:
                pass
            await _sleep(0.1)
        raise AssertionError(f"agent never got there: {last}\n{self.log.read_text()[-3000:]}")

    async def verify(self, gate: int, key: str, **body: Any) -> dict[str, Any]:
        return await self.post(gate, key, "verify", body)

    async def post(self, gate: int, key: str, path: str, body: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}/v1/gates/{gate}/{path}", json=body, headers=headers) as r,
        ):
            answer = dict(await r.json())
            answer["http_status"] = r.status
            return answer


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@pytest.fixture
def agent_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Agent] = []

    def make(server_url: str, agent_id: int, key: str, secret: str, name: str = "agent") -> Agent:
        port = free_port()
        # The box holds its own secret, never the deployment's key.
        env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
        env.update(COURTYARD_GATE_AGENT_SECRET=secret, COURTYARD_LOG_FORMAT="text")
        assert TEST_SECRET not in env.values()
        args = [
            *courtyard(), "gate-agent", "--server", server_url, "--agent", str(agent_id),
            "--key", key, "--data", str(tmp_path / name), "--host", "127.0.0.1",
            "--port", str(port), "--sync-interval", "0.2",
        ]  # fmt: skip
        agent = Agent(args, env, port, tmp_path / f"{name}.log")
        started.append(agent)
        return agent

    yield make
    for agent in started:
        agent.stop()
