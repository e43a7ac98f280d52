"""The gate API's routes for gate agents (mounted by :func:`access.api.create_gate_app`).

- ``GET /v1/agents/{agent}/sync[?since=N[&wait=S]]`` — the agent's snapshot, or its
  changes since version ``N`` (:mod:`access.sync.feed`); with ``wait``, the answer
  waits up to ``S`` seconds for one of the community's passes to change (the push);
- ``POST /v1/agents/{agent}/decisions`` — decisions it made offline, recorded exactly
  once by their idempotency keys (:mod:`access.sync.uploads`); hosts are told late,
  staff are told of double grants.

Each agent authenticates with its own key (``Authorization: Bearer <agent key>``).
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from datetime import datetime
from typing import Any

from aiohttp import web

from access.api import RUNTIME_KEY, BadRequest, _json_object
from access.decision import Direction, Method, Reason
from access.models import GateEventType
from access.notify import DoorFailure, GateAlarm
from access.plates import valid_plate
from access.service import AccessRuntime
from access.sync.feed import AgentInfo, community_version, feed, hash_agent_key, load_agent
from access.sync.uploads import OfflineDecision, OfflineEvent, UploadResult, apply_uploads

MAX_BATCH = 500
# A sync may wait this long for a change (a long poll: the server's push).
MAX_WAIT_S = 30
POLL_S = 0.5
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_TERMINAL_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
DOUBLE_GRANT = "offline_double_grant"


async def _authenticated_agent(request: web.Request) -> AgentInfo:
    runtime = request.app[RUNTIME_KEY]
    raw_id = request.match_info.get("agent", "")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 18 or int(raw_id) < 1:
        raise BadRequest("the agent id must be a positive whole number")
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise BadRequest("send 'Authorization: Bearer <agent key>'", 401, "unauthorized")
    agent = await runtime.runner.run(load_agent, int(raw_id), readonly=True)
    expected = hash_agent_key(runtime.secret_key, key)
    if agent is None or not agent.active or not hmac.compare_digest(expected, agent.api_key_hash):
        raise BadRequest("unknown agent or wrong key", 401, "unauthorized")
    return agent


async def sync(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    agent = await _authenticated_agent(request)
    raw = request.query.get("since")
    since: int | None = None
    if raw is not None:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            raise BadRequest("since must be a whole number (a version this API gave)")
        since = int(raw)
    wait = _wait(request.query.get("wait"))
    if since is not None and wait > 0:
        # The push: answer as soon as one of the community's passes changes (issued,
        # used, revoked) — the database is looked at twice a second, whichever
        # process made the change.
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            latest = await runtime.runner.run(community_version, agent.community_id, readonly=True)
            if latest > since:
                break
            await asyncio.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
    body = await runtime.runner.run(feed, agent, since, runtime.clock.now(), runtime.secret_key)
    return web.json_response(body)


def _wait(raw: str | None) -> float:
    if raw is None:
        return 0.0
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_WAIT_S:
        raise BadRequest(f"wait must be a whole number of seconds, 0 to {MAX_WAIT_S}")
    return float(raw)


def _text(raw: dict[str, Any], name: str, limit: int) -> str:
    value = raw.get(name) or ""
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(f"{name} must be a string of at most {limit} characters")
    return "".join(ch for ch in value if ch >= " " or ch in "\n\t")


def _event(raw: dict[str, Any], key: str, gate_id: int, at: datetime, terminal: Any) -> Any:
    try:
        kind = GateEventType(str(raw.get("type")))
    except ValueError:
        raise BadRequest("type must be one of: " + ", ".join(GateEventType)) from None
    return OfflineEvent(key, gate_id, at, kind, _text(raw, "details", 500), terminal)


def _item(raw: Any, agent: AgentInfo) -> OfflineDecision | OfflineEvent:
    if not isinstance(raw, dict):
        raise BadRequest("each decision must be a JSON object")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise BadRequest("key must be 8 to 64 letters, digits, '_' or '-'")
    gate_id = raw.get("gate_id")
    if not isinstance(gate_id, int) or gate_id not in agent.gate_ids:
        raise BadRequest("gate_id must be one of the agent's gates", 403, "forbidden")
    try:
        at = datetime.fromisoformat(str(raw.get("at")))
    except ValueError:
        raise BadRequest("at must be an ISO 8601 time") from None
    if at.tzinfo is None:
        raise BadRequest("at must carry a time zone")
    terminal = raw.get("terminal")
    if terminal is not None and (
        not isinstance(terminal, str) or not _TERMINAL_RE.fullmatch(terminal)
    ):
        raise BadRequest("terminal must be 1 to 64 letters, digits, '.', ':', '_' or '-'")
    if raw.get("kind") == "event":
        return _event(raw, key, gate_id, at, terminal)
    try:
        method = Method(str(raw.get("method")))
        direction = Direction(raw.get("direction", "in"))
        reason = Reason(str(raw.get("reason")))
    except ValueError:
        raise BadRequest("method, direction or reason is not valid") from None
    pass_id = raw.get("pass_id")
    if pass_id is not None and not isinstance(pass_id, int):
        raise BadRequest("pass_id must be a whole number or null")
    ref_key = raw.get("ref_key")
    if ref_key is not None and (not isinstance(ref_key, str) or not _KEY_RE.fullmatch(ref_key)):
        raise BadRequest("ref_key must be a key given before")
    resident_key_id = raw.get("resident_key_id")
    if resident_key_id is not None and not isinstance(resident_key_id, int):
        raise BadRequest("resident_key_id must be a whole number or null")
    plate = raw.get("plate")
    if plate is not None and (not isinstance(plate, str) or valid_plate(plate) != plate):
        raise BadRequest("plate must be a normalized plate number or null")
    holder = _text(raw, "holder_name", 120)
    return OfflineDecision(
        key=key,
        gate_id=gate_id,
        at=at,
        method=method,
        direction=direction,
        granted=bool(raw.get("granted")),
        reason=reason,
        pass_id=pass_id,
        holder_name=holder,
        terminal=terminal,
        ref_key=ref_key,
        error=_text(raw, "error", 200),
        resident_key_id=resident_key_id,
        plate=plate,
    )


async def _tell(runtime: AccessRuntime, result: UploadResult) -> None:
    for decision in result.entries:
        gate = await runtime.gates.get(decision.gate_id)
        if gate is not None:
            runtime._spawn(runtime.notifier.pass_used(gate, decision), "pass_used_late")
    for decision in result.double_grants:
        gate = await runtime.gates.get(decision.gate_id)
        if gate is None:
            continue
        details = f"{decision.holder_name} (pass {decision.pass_id}, decision {decision.log_id})"
        alarm = GateAlarm(gate, decision.log_id or 0, DOUBLE_GRANT, details, None, decision.at)
        runtime._spawn(runtime.notifier.gate_alarm(alarm), "double_grant")
    for decision, error in result.door_failures:
        gate = await runtime.gates.get(decision.gate_id)
        if gate is not None:
            failure = DoorFailure(gate, decision, error or "the gate agent could not open it")
            runtime._spawn(runtime.notifier.door_failed(failure), "door_failed_late")
    for late in result.events:
        gate = await runtime.gates.get(late.event.gate_id)
        if gate is not None:
            e = late.event
            alarm = GateAlarm(gate, late.event_id, e.type.value, e.details, e.terminal, e.at)
            runtime._spawn(runtime.notifier.gate_alarm(alarm), "alarm_late")


async def decisions(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    agent = await _authenticated_agent(request)
    body = await _json_object(request)
    raw_items = body.get("decisions")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_BATCH:
        raise BadRequest(f"decisions must be a list of 1 to {MAX_BATCH} objects")
    items = [_item(raw, agent) for raw in raw_items]
    result = await runtime.runner.run(apply_uploads, agent, items)
    await _tell(runtime, result)
    return web.json_response(
        {
            "recorded": result.recorded,
            "duplicates": result.duplicates,
            "double_grants": [d.log_id for d in result.double_grants],
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/agents/{agent}/sync", sync)
    app.router.add_post("/v1/agents/{agent}/decisions", decisions)
