"""Operator commands for offline gate agents (decision 0025).

    courtyard gate-agents add COMMUNITY NAME GATE [GATE …]   # prints the agent key once
    courtyard gate-agents list [COMMUNITY]
    courtyard gate-agents policy COMMUNITY GATE [--single-use consume|refuse]
                                 [--max-offline MINUTES]
    courtyard gate-agent --server URL --agent ID [--key KEY] [--data DIR]
                         [--host H] [--port P] [--budget-ms MS] [--sync-interval S]

    courtyard gate-agents rotate-secret AGENT_ID               # prints the new secret once
    courtyard gate-agents disable AGENT_ID                     # a lost or stolen box

``gate-agent`` runs beside a gate's terminals with its own key (``--key`` or
``COURTYARD_GATE_AGENT_KEY``) and its own secret (``--secret`` or
``COURTYARD_GATE_AGENT_SECRET``) — never the deployment's secret key.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import click

from bot.cli_gate import _community, _fail, _run


def register(main: click.Group) -> None:
    @main.group("gate-agents")
    def agents() -> None:
        """Offline gate agents: add one, list them, set a gate's offline policy."""

    @agents.command("add")
    @click.argument("community")
    @click.argument("name")
    @click.argument("gates", nargs=-1, required=True)
    def agents_add(community: str, name: str, gates: tuple[str, ...]) -> None:
        """Add an agent serving GATES (names) and print its key (shown once)."""
        from sqlalchemy import select

        from access.gates import GateError
        from access.models import Gate
        from access.sync.admin import create_agent

        async def work(settings: Any, session_factory: Any) -> Any:
            async with session_factory() as session:
                found = await _community(session, community)
                ids = []
                for gate_name in gates:
                    gate_id = await session.scalar(
                        select(Gate.id).where(Gate.community_id == found.id, Gate.name == gate_name)
                    )
                    if gate_id is None:
                        _fail(f"{found.name} has no gate named {gate_name!r}")
                    ids.append(gate_id)
                try:
                    created = await create_agent(
                        session,
                        secret_key=settings.secret(),
                        community_id=found.id,
                        name=name,
                        gate_ids=ids,
                    )
                except GateError as exc:
                    _fail(str(exc), 2)
                await session.commit()
                return created

        created = _run(work)
        click.echo(f"Gate agent {name!r} added (id {created.id}, gates {created.gate_ids}).")
        click.echo(f"Agent key (shown once, give it to the agent now): {created.api_key}")
        click.echo(f"Agent secret (shown once, give it to the agent now): {created.secret}")
        click.echo(
            f"Run it with: courtyard gate-agent --server <gate API URL> --agent {created.id}"
        )

    @agents.command("rotate-secret")
    @click.argument("agent_id", type=int)
    def agents_rotate(agent_id: int) -> None:
        """Give an agent a new secret (the old one stops opening what the server sends)."""
        from access.gates import GateError
        from access.sync.admin import rotate_agent_secret

        async def work(settings: Any, session_factory: Any) -> str:
            async with session_factory() as session:
                try:
                    secret = await rotate_agent_secret(
                        session, secret_key=settings.secret(), agent_id=agent_id
                    )
                except GateError as exc:
                    _fail(str(exc), 2)
                await session.commit()
                return secret

        secret = _run(work)
        click.echo(f"New agent secret (shown once): {secret}")
        click.echo("Restart the agent with it; it takes a fresh copy of its gates' data.")

    @agents.command("disable")
    @click.argument("agent_id", type=int)
    def agents_disable(agent_id: int) -> None:
        """Disable an agent (a lost or stolen box): its key is refused from now on."""
        from access.gates import GateError
        from access.sync.admin import disable_agent

        async def work(_settings: Any, session_factory: Any) -> None:
            async with session_factory() as session:
                try:
                    await disable_agent(session, agent_id)
                except GateError as exc:
                    _fail(str(exc), 2)
                await session.commit()

        _run(work)
        click.echo(f"Gate agent {agent_id} disabled: its key no longer syncs or uploads.")

    @agents.command("list")
    @click.argument("community", required=False)
    def agents_list(community: str | None) -> None:
        """List agents, their gates and their last sync."""
        from sqlalchemy import select

        from access.sync.models import GateAgent

        async def work(_settings: Any, session_factory: Any) -> list[Any]:
            async with session_factory() as session:
                query = select(GateAgent).order_by(GateAgent.id)
                if community:
                    found = await _community(session, community)
                    query = query.where(GateAgent.community_id == found.id)
                return list((await session.scalars(query)).all())

        rows = _run(work)
        if not rows:
            click.echo("No gate agents. Add one with `courtyard gate-agents add`.")
        for a in rows:
            last = a.last_sync_at.isoformat(timespec="seconds") if a.last_sync_at else "never"
            state = "active" if a.active else "disabled"
            click.echo(f"{a.id:>5}  {a.name}  gates {a.gate_ids}  last sync {last}  {state}")

    @agents.command("policy")
    @click.argument("community")
    @click.argument("gate")
    @click.option("--single-use", type=click.Choice(["consume", "refuse"]))
    @click.option("--max-offline", type=click.IntRange(0, 7 * 24 * 60), metavar="MINUTES")
    def agents_policy(
        community: str, gate: str, single_use: str | None, max_offline: int | None
    ) -> None:
        """Show or set how a gate's agent decides while the server is away."""
        from sqlalchemy import select

        from access.models import Gate
        from access.sync.admin import set_offline_policy
        from access.sync.models import OfflineSingleUse

        async def work(_settings: Any, session_factory: Any) -> Any:
            async with session_factory() as session:
                found = await _community(session, community)
                gate_id = await session.scalar(
                    select(Gate.id).where(Gate.community_id == found.id, Gate.name == gate)
                )
                if gate_id is None:
                    _fail(f"{found.name} has no gate named {gate!r}")
                row = await set_offline_policy(
                    session,
                    gate_id,
                    single_use=OfflineSingleUse(single_use) if single_use else None,
                    max_offline_min=max_offline,
                )
                await session.commit()
                return row.single_use, row.max_offline_min

        used, minutes = _run(work)
        verb = "consumed" if used == "consume" else "refused"
        click.echo(
            f"{gate}: offline, single-use passes are {verb}; "
            f"after {minutes} min without the server only residents' gate QR codes and "
            "emergency open."
        )

    @main.command("gate-agent")
    @click.option("--server", required=True, help="The gate API's URL, e.g. https://gate.example")
    @click.option("--agent", "agent_id", type=int, required=True, help="The agent's id.")
    @click.option("--key", envvar="COURTYARD_GATE_AGENT_KEY", required=True, help="Agent key.")
    @click.option(
        "--secret", envvar="COURTYARD_GATE_AGENT_SECRET", required=True, help="Agent secret."
    )
    @click.option("--data", "data_dir", default="gate-agent", type=click.Path(path_type=Path))
    @click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104
    @click.option("--port", type=int, default=8090, show_default=True)
    @click.option("--budget-ms", type=click.IntRange(10, 10_000), default=300, show_default=True)
    @click.option(
        "--sync-interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True
    )
    def gate_agent(
        server: str,
        agent_id: int,
        key: str,
        secret: str,
        data_dir: Path,
        host: str,
        port: int,
        budget_ms: int,
        sync_interval: float,
    ) -> None:
        """Run an offline gate agent beside a gate's terminals (decision 0025)."""
        from access.agent.app import serve_agent
        from access.agent.service import AgentConfig
        from access.sync.keys import AGENT_SECRET_PREFIX

        if not secret.startswith(AGENT_SECRET_PREFIX):
            _fail("--secret must be the agent secret printed by `courtyard gate-agents add`", 2)
        config = AgentConfig(
            server_url=server,
            agent_id=agent_id,
            agent_key=key,
            agent_secret=secret,
            data_dir=data_dir,
            budget_s=budget_ms / 1000,
            sync_interval_s=sync_interval,
        )

        async def main_() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            await serve_agent(config, host, port, stop)

        asyncio.run(main_())
