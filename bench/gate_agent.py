"""Benchmark of the offline gate agent: local and online decision times in one run;
prints one JSON line.

    uv run python bench/gate_agent.py [--passes 20000] [--requests 1000]

A fresh SQLite database holds ``--passes`` active single-use visitor passes (the
schema migrated, as in ``bench/gate.py``). The gate API and one agent run in this
process; the agent takes its snapshot, then:

  local        the agent's decision from its replica (the policy, the server's
               rules, the local use, the outbox row, the commit), no HTTP —
               the figure the issue's target is about (p99 ≤ 5 ms); wall time,
               and the thread's CPU time (local_cpu_*: the same without the
               time the scheduler gave to other processes)
  local_http   a terminal's request to the agent while the server is stopped
  online_http  a terminal's request to the agent, forwarded to the server
  server_http  the baseline: the same request straight to the server

Every request presents a different valid code (each decision takes the full path).
The HTTP readings share the process and its two cores with the client; compare
them with each other, not with ``bench/gate.py``.

Keys: local_p50_ms, local_p99_ms, local_cpu_p50_ms, local_cpu_p99_ms, local_http_p50_ms,
local_http_p99_ms, online_http_p50_ms, online_http_p99_ms, server_http_p50_ms, server_http_p99_ms,
snapshot_s, replica_passes, granted (all must be), requests, load_avg.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gate import SECRET, free_port, prepare


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


async def _add_agent(url: str, gate_ids: list[int]) -> tuple[int, str, str]:
    from sqlalchemy import select

    from access.models import Gate
    from access.sync.admin import create_agent
    from core.db import create_engine, create_session_factory

    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        community_id = await session.scalar(select(Gate.community_id).limit(1))
        created = await create_agent(
            session, secret_key=SECRET, community_id=community_id, name="bench", gate_ids=gate_ids
        )
        await session.commit()
    await engine.dispose()
    return created.id, created.api_key, created.secret


async def _http_readings(
    http: Any, url: str, gate: int, key: str, codes: list[str]
) -> tuple[list[float], int]:
    times, granted = [], 0
    headers = {"Authorization": f"Bearer {key}"}
    for code in codes:
        started = time.perf_counter()
        async with http.post(
            f"{url}/v1/gates/{gate}/verify", json={"code": code}, headers=headers
        ) as r:
            body = await r.json()
        times.append(time.perf_counter() - started)
        granted += bool(body.get("granted"))
    return times, granted


async def run(world: dict[str, Any], tmp: Path, requests: int) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from access.agent.app import create_agent_app
    from access.agent.service import AgentConfig, GateAgent
    from access.api import serve
    from access.decision import Credential, Direction
    from access.service import AccessRuntime

    gate_ids, keys, codes = world["gate_ids"], world["keys"], world["codes"]
    agent_id, agent_key, agent_secret = await _add_agent(world["url"], gate_ids)
    runtime = AccessRuntime(database_url=world["url"], secret_key=SECRET)
    port = free_port()
    server = await serve(runtime, "127.0.0.1", port)
    config = AgentConfig(
        server_url=f"http://127.0.0.1:{port}",
        agent_id=agent_id,
        agent_key=agent_key,
        agent_secret=agent_secret,  # the deployment's key is not the agent's
        data_dir=tmp / "agent",
        sync_interval_s=3600,
    )
    agent = GateAgent(config)
    await agent.start()
    started = time.perf_counter()
    await agent.sync_once()
    snapshot_s = round(time.perf_counter() - started, 3)
    agent_runner = web.AppRunner(create_agent_app(agent), access_log=None)
    await agent_runner.setup()
    agent_port = free_port()
    await web.TCPSite(agent_runner, "127.0.0.1", agent_port).start()
    agent_url = f"http://127.0.0.1:{agent_port}"
    gate_id, gate = gate_ids[0], agent.gate(gate_ids[0])
    assert gate is not None
    chunks = [codes[i * requests : (i + 1) * requests] for i in range(4)]
    result: dict[str, Any] = {"requests": requests, "replica_passes": agent.replica.size()}
    granted = 0
    async with aiohttp.ClientSession() as http:
        # Online first: the agent forwards, and the baseline straight to the server.
        await _http_readings(http, agent_url, gate_id, keys[0], codes[-20:-10])  # warm-up
        times, ok = await _http_readings(http, agent_url, gate_id, keys[0], chunks[0])
        result.update(online_http_p50_ms=pct(times, 0.5), online_http_p99_ms=pct(times, 0.99))
        granted += ok
        times, ok = await _http_readings(http, config.server_url, gate_id, keys[0], chunks[1])
        result.update(server_http_p50_ms=pct(times, 0.5), server_http_p99_ms=pct(times, 0.99))
        granted += ok
        # The cable is cut.
        await server.cleanup()
        agent.online = False
        local: list[float] = []
        cpu: list[float] = []
        for code in chunks[2]:
            t0, c0 = time.perf_counter(), time.thread_time()
            decision = agent.decide_locally(gate, Credential.code(code), Direction.IN, None)
            local.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            granted += decision.granted
        result.update(local_p50_ms=pct(local, 0.5), local_p99_ms=pct(local, 0.99))
        result.update(local_cpu_p50_ms=pct(cpu, 0.5), local_cpu_p99_ms=pct(cpu, 0.99))
        times, ok = await _http_readings(http, agent_url, gate_id, keys[0], chunks[3])
        result.update(local_http_p50_ms=pct(times, 0.5), local_http_p99_ms=pct(times, 0.99))
        granted += ok
    await agent_runner.cleanup()
    await agent.close()
    await runtime.close()
    result.update(
        snapshot_s=snapshot_s,
        granted=granted == 4 * requests,
        load_avg=round(os.getloadavg()[0], 2),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    if args.passes < 4 * args.requests + 20:
        parser.error("--passes must be at least 4 × --requests + 20")
    tmp = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    world = prepare(tmp / "server.db", args.passes)  # before the event loop (migrations)
    print(json.dumps(asyncio.run(run(world, tmp, args.requests))))


if __name__ == "__main__":
    main()
