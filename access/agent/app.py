"""The agent's terminal API: the server's, served beside the gate.

- ``POST /v1/gates/{gate}/verify`` — forwarded to the server within the time budget;
  decided from the replica when the server is away (the answer then says
  ``"offline": true``); a plate by the server's plate rules on the replica's plates
  (offline no parking is charged at an exit: decision 0025). A face image is only
  forwarded: offline, the terminal is told to use a code or QR (503, as when the
  server's face engine is down).
- ``POST /v1/gates/{gate}/events`` — forwarded; offline, kept in the outbox and
  uploaded with the decisions (staff are alerted then).
- ``POST /v1/gates/{gate}/fire-alarm`` — the fire-alarm input (``{"active": true}``):
  every gate of the agent is held open and every request granted until it clears.
- ``POST /v1/gates/{gate}/walkins``, ``…/calls``, ``GET …/calls/{call}`` — forwarded;
  offline, 503 (a household is rung through the server; the guard takes over).
- ``GET /v1/health`` — the agent: server online or not, replica version, queue.

Terminals authenticate with their gate keys, checked against the replica offline.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from aiohttp import web

from access.agent.service import AgentConfig, GateAgent, ServerAway
from access.api import (
    CREDENTIAL_PARSERS,
    FACE_CONTENT_TYPES,
    BadRequest,
    _json_object,
    _terminal,
    decision_body,
    error_response,
    event_fields,
    json_errors,
    read_confidence,
)
from access.gates import GateInfo, authenticate
from access.verification import Direction, Reason

AGENT_KEY = web.AppKey("gate_agent", GateAgent)
_VERIFY_FIELDS = {"terminal", "direction", "confidence"}


def _gate_id(request: web.Request) -> int:
    raw = request.match_info.get("gate", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise BadRequest("the gate id must be a positive whole number")
    return int(raw)


def _forward_headers(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k in ("Authorization", "Content-Type")}


async def _forwarded(request: web.Request) -> web.Response | None:
    agent = request.app[AGENT_KEY]
    body = await request.read()
    try:
        answer = await agent.forward(request.method, request.path, body, _forward_headers(request))
    except ServerAway:
        return None
    return web.Response(
        body=answer.body,
        status=answer.status,
        content_type=answer.content_type,
        headers=answer.headers,
    )


def _local_gate(request: web.Request, gate_id: int) -> GateInfo:
    agent = request.app[AGENT_KEY]
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise BadRequest("send 'Authorization: Bearer <gate key>'", 401, "unauthorized")
    gate = agent.gate(gate_id)
    if gate is None or not authenticate(gate, agent.replica.credential_key, key):
        raise BadRequest("unknown gate or wrong key", 401, "unauthorized")
    return gate


async def verify(request: web.Request) -> web.Response:
    gate_id = _gate_id(request)
    answer = await _forwarded(request)
    if answer is not None:
        return answer
    agent = request.app[AGENT_KEY]
    gate = _local_gate(request, gate_id)
    if request.content_type in FACE_CONTENT_TYPES:
        return error_response(
            503, "unavailable", "face recognition is unavailable offline; use a code or QR"
        )
    body = await _json_object(request)
    unknown = set(body) - set(CREDENTIAL_PARSERS) - _VERIFY_FIELDS
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    given = [name for name in CREDENTIAL_PARSERS if name in body]
    if len(given) != 1:
        raise BadRequest(f"send exactly one of: {', '.join(CREDENTIAL_PARSERS)}")
    confidence = read_confidence(body, given[0])  # beside a plate only, as at the server
    direction_raw = body.get("direction", "in")
    if direction_raw not in ("in", "out"):
        raise BadRequest("direction must be 'in' or 'out'")
    terminal = _terminal(body)
    parser: Any = CREDENTIAL_PARSERS[given[0]]
    credential = await parser(None, gate, body[given[0]])
    if confidence is not None:
        credential = replace(credential, confidence=confidence)
    decision = await agent.verify_locally(gate, credential, Direction(direction_raw), terminal)
    answer_body = decision_body(decision)
    answer_body["offline"] = True
    if decision.reason == Reason.LOCKED_OUT:
        wait = decision.retry_after_s or 1
        return web.json_response(answer_body, status=429, headers={"Retry-After": str(wait)})
    return web.json_response(answer_body)


async def events(request: web.Request) -> web.Response:
    gate_id = _gate_id(request)
    answer = await _forwarded(request)
    if answer is not None:
        return answer
    agent = request.app[AGENT_KEY]
    gate = _local_gate(request, gate_id)
    event_type, details, terminal = event_fields(await _json_object(request))
    event_id = agent.queue_event(gate, event_type.value, details, terminal)
    # Kept here; staff are alerted when the server answers again.
    return web.json_response({"recorded": True, "event_id": event_id, "offline": True}, status=202)


async def walkin(request: web.Request) -> web.Response:
    """Walk-ins and intercom calls ring a household through the server: forwarded;
    offline, the terminal is told to send the visitor to the guard."""
    gate_id = _gate_id(request)
    answer = await _forwarded(request)
    if answer is not None:
        return answer
    _local_gate(request, gate_id)
    return error_response(
        503, "unavailable", "calling a home needs the server; please ask the guard"
    )


async def fire_alarm(request: web.Request) -> web.Response:
    agent = request.app[AGENT_KEY]
    _local_gate(request, _gate_id(request))
    body = await _json_object(request)
    active = body.get("active")
    if not isinstance(active, bool) or set(body) - {"active"}:
        raise BadRequest('send {"active": true} or {"active": false}')
    doors = await agent.set_fire_alarm(active)
    return web.json_response(
        {"fire_alarm": active, "doors": [{"gate_id": g, "ok": ok} for g, ok in doors]}
    )


async def health(request: web.Request) -> web.Response:
    agent = request.app[AGENT_KEY]
    offline_for = agent.offline_for_s()
    return web.json_response(
        {
            "status": "ok",
            "role": "gate-agent",
            "server": "online" if agent.online else "offline",
            "replica_version": agent.replica.version(),
            "queued": agent.replica.queued(),
            # Offline records the server refused (see the agent's log).
            "rejected": agent.replica.rejected(),
            "seconds_since_sync": None if offline_for == float("inf") else round(offline_for, 1),
            "fire_alarm": agent.fire_alarm,
            # This box's clock minus the server's at the last sync (offline windows).
            "clock_skew_s": agent.clock_skew_s,
        }
    )


def create_agent_app(agent: GateAgent) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=4 * 1024 * 1024)
    app[AGENT_KEY] = agent
    app.router.add_post("/v1/gates/{gate}/verify", verify)
    app.router.add_post("/v1/gates/{gate}/events", events)
    app.router.add_post("/v1/gates/{gate}/fire-alarm", fire_alarm)
    app.router.add_post("/v1/gates/{gate}/walkins", walkin)
    app.router.add_post("/v1/gates/{gate}/calls", walkin)
    app.router.add_get("/v1/gates/{gate}/calls/{call}", walkin)
    app.router.add_get("/v1/health", health)
    return app


async def serve_agent(config: AgentConfig, host: str, port: int, stop: Any) -> None:
    """Run the agent until ``stop`` (an :class:`asyncio.Event`) is set."""
    agent = GateAgent(config)
    await agent.start()
    runner = web.AppRunner(create_agent_app(agent), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    print(json.dumps({"gate_agent": "listening", "host": host, "port": port}), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await agent.close()
