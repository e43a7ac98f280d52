"""The gate pane's "cut the cable": an offline gate agent in front of the gate API.

Started the first time the page asks (``POST /sandbox/api/gate-agent``), it is a real
:class:`access.agent.service.GateAgent` for the demo community's gates, serving the
terminal API on a port of its own; from then on the pane's requests go through it.
Cutting the cable makes the agent unable to reach the server (its requests fail as
on a dead network), so it decides from its replica; reconnecting lets it upload what
it decided, and the access log below the pane fills in.

It shares the gate runtime's (simulated) doors, so the pane's door opens when the
agent opens it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select

from access.agent.app import create_agent_app
from access.agent.service import AgentConfig, Forwarded, GateAgent, ServerAway
from access.doors import DoorRegistry
from access.models import Gate
from access.sync.admin import create_agent
from bot.sandbox.api import ApiError, ok, read_json

if TYPE_CHECKING:
    from bot.sandbox.runtime import Sandbox


class CableAgent(GateAgent):
    """A gate agent whose cable to the server the page can cut."""

    cable_cut = False

    def __init__(self, config: AgentConfig, clock: Any, doors: DoorRegistry) -> None:
        super().__init__(config, clock)
        self.doors = doors  # the pane shows these doors

    async def forward(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> Forwarded:
        if self.cable_cut:
            self.online = False
            raise ServerAway("the cable is cut")
        return await super().forward(method, path, body, headers)

    async def _request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.cable_cut:
            raise ServerAway("the cable is cut")
        return await super()._request_json(method, path, **kwargs)

    async def close(self) -> None:
        self.doors = DoorRegistry()  # the runtime's doors are the runtime's to close
        await super().close()


class SandboxGateAgent:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.agent: CableAgent | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    async def _start(self) -> CableAgent:
        from bot.sandbox.runtime import free_port

        app = self.sandbox.require_app()
        runtime = self.sandbox.access_runtime()
        settings = self.sandbox.settings
        if runtime is None or settings is None:
            raise ApiError("gate_api_down", 503)
        state = self.sandbox.state
        assert state is not None
        async with app.ctx.session_factory() as session:
            community_id = await session.scalar(
                select(Gate.community_id).where(Gate.id == state.gates[0].id)
            )
            if community_id is None:
                raise ApiError("unknown_gate", 404)
            created = await create_agent(
                session,
                secret_key=app.ctx.secret_key,
                community_id=community_id,
                name="sandbox guard house",
                gate_ids=[g.id for g in state.gates],
            )
            await session.commit()
        config = AgentConfig(
            server_url=f"http://127.0.0.1:{settings.gate_api_port}",
            agent_id=created.id,
            agent_key=created.api_key,
            agent_secret=created.secret,
            data_dir=Path(self.sandbox.data_dir) / f"gate-agent-{created.id}",
            sync_interval_s=1.0,
        )
        agent = CableAgent(config, self.sandbox.clock, runtime.doors)
        await agent.start()
        await agent.sync_once()
        runner = web.AppRunner(create_agent_app(agent), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self.agent, self.port, self._runner = agent, port, runner
        return agent

    async def toggle(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        cut = body.get("cut")
        if not isinstance(cut, bool):
            raise ApiError("bad_request", 400)
        async with self._lock:
            agent = self.agent or await self._start()
        agent.cable_cut = cut
        if not cut:
            try:
                await agent.sync_once()  # upload what was decided offline now
            except ServerAway:
                pass
        return ok(self.status())

    def status(self) -> dict[str, Any]:
        agent = self.agent
        if agent is None:
            return {"running": False, "cut": False, "online": True, "queued": 0}
        return {
            "running": True,
            "cut": agent.cable_cut,
            "online": agent.online,
            "queued": agent.replica.queued(),
        }

    async def close(self, _app: web.Application | None = None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self.agent is not None:
            await self.agent.close()
        self.agent = self._runner = None
