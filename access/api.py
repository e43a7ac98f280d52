"""The gate terminal HTTP API (aiohttp).

- ``POST /v1/gates/{gate}/verify`` — a keypad code, a QR token or a camera's plate
  read with its confidence (JSON), or a face
  image (``image/jpeg`` body, or ``multipart/form-data`` with a ``face`` part) → the
  decision; the door is released when granted.
- ``POST /v1/gates/{gate}/challenge`` — a random liveness action (blink, turn left or
  right) and its single-use token; the terminal shows the action and sends a burst of
  ``frame`` parts with the ``challenge`` to ``verify`` (:mod:`access.faces.liveness`).
- ``POST /v1/gates/{gate}/events`` — door forced, door held open, tamper → staff alerted.
- ``POST /v1/gates/{gate}/walkins``, ``POST …/calls``, ``GET …/calls/{call}`` — a walk-in
  or an intercom call rings the household in the chat (:mod:`access.api_walkins`).
- ``GET /v1/health`` — liveness and database reachability.
- ``GET /v1/openapi.json`` — the OpenAPI document of all of the above.
- ``GET /livez``, ``/readyz``, ``/metrics`` — the probes and Prometheus metrics
  (:mod:`core.probes`; not for terminals, no key).

Each gate authenticates with its own key (``Authorization: Bearer <key>``).
Anything malformed gets a 4xx with a JSON error; nothing a client sends can
produce a 500. The API is served by ``courtyard run`` (see ``bot/app.py``),
by the sandbox, and alone by ``courtyard gate-api``.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from access.credentials import normalize_code
from access.faces import gate as _face_gate  # noqa: F401  (registers the FACE resolver)
from access.gates import GateInfo, authenticate
from access.models import GateEventType
from access.openapi import OPENAPI
from access.plates import PLATE_INPUT_MAX_LEN, valid_plate
from access.service import AccessRuntime
from access.verification import Credential, Decision, Direction, Reason
from core.probes import Readiness, add_probe_routes, current_revisions

log = logging.getLogger(__name__)

RUNTIME_KEY = web.AppKey("access_runtime", AccessRuntime)
MAX_BODY = 4 * 1024 * 1024
_TERMINAL_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # ASCII only, as the OpenAPI document says

CredentialParser = Callable[[AccessRuntime, GateInfo, Any], Awaitable[Credential]]


class BadRequest(Exception):
    def __init__(self, detail: str, status: int = 400, error: str = "malformed") -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.error = error


def error_response(status: int, error: str, detail: str = "") -> web.Response:
    body: dict[str, Any] = {"error": error}
    if detail:
        body["detail"] = detail
    return web.json_response(body, status=status)


async def _parse_code(_runtime: AccessRuntime, _gate: GateInfo, value: Any) -> Credential:
    if not isinstance(value, str):
        raise BadRequest("code must be a string of digits")
    code = normalize_code(value)
    if not 1 <= len(code) <= 32 or not code.isascii() or not code.isdigit():
        raise BadRequest("code must be 1 to 32 digits")
    return Credential.code(code)


async def _parse_qr(_runtime: AccessRuntime, _gate: GateInfo, value: Any) -> Credential:
    if not isinstance(value, str) or not 1 <= len(value) <= 256:
        raise BadRequest("qr must be a string of 1 to 256 characters")
    return Credential.qr(value.strip())


async def _parse_plate(_runtime: AccessRuntime, _gate: GateInfo, value: Any) -> Credential:
    """A camera's plate read. Text that is no Chinese plate is still decided (refused
    ``plate_unreadable`` and logged), so the terminal shows a reason and staff see it."""
    if not isinstance(value, str) or not 1 <= len(value) <= PLATE_INPUT_MAX_LEN:
        raise BadRequest(f"plate must be a string of 1 to {PLATE_INPUT_MAX_LEN} characters")
    plate = valid_plate(value)
    if plate is not None:
        return Credential.plate(plate)
    shown = "".join(ch for ch in value if ch.isprintable()).strip()
    return Credential.plate(shown or "?", denial=Reason.PLATE_UNREADABLE)


def read_confidence(body: dict[str, Any], given: str) -> float | None:
    """The plate reader's confidence, 0 to 1, beside ``plate`` only."""
    if "confidence" not in body:
        return None
    value = body["confidence"]
    if given != "plate":
        raise BadRequest("confidence goes with plate only")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadRequest("confidence must be a number from 0 to 1")
    return float(value)


# The credential a verify request carries, by JSON field. A new kind (the face
# engine's image) registers its field here; exactly one must be present.
CREDENTIAL_PARSERS: dict[str, CredentialParser] = {
    "code": _parse_code,
    "qr": _parse_qr,
    "plate": _parse_plate,
}
_VERIFY_FIELDS = {"terminal", "direction", "confidence"}


async def _json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        raise BadRequest("the body must be a JSON object")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:
        # `[[[[…]]]]` nested deeper than the parser's stack: no request needs that.
        raise BadRequest("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _terminal(body: dict[str, Any]) -> str | None:
    value = body.get("terminal")
    if value is None:
        return None
    if not isinstance(value, str) or not _TERMINAL_RE.fullmatch(value):
        raise BadRequest("terminal must be 1 to 64 letters, digits, '.', ':', '_' or '-'")
    return value


async def _authenticated_gate(request: web.Request) -> GateInfo:
    runtime = request.app[RUNTIME_KEY]
    raw_id = request.match_info.get("gate", "")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 18 or int(raw_id) < 1:
        raise BadRequest("the gate id must be a positive whole number")
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise BadRequest("send 'Authorization: Bearer <gate key>'", 401, "unauthorized")
    gate = await runtime.gates.get(int(raw_id))
    # Unknown gate and wrong key look the same from outside.
    if gate is None or not authenticate(gate, runtime.secret_key, key):
        raise BadRequest("unknown gate or wrong key", 401, "unauthorized")
    return gate


def decision_body(decision: Decision) -> dict[str, Any]:
    body = _decision_fields(decision)
    if decision.payment is not None:
        body["payment"] = {
            "amount_minor": decision.payment.amount_minor,
            "currency": decision.payment.currency,
            "pay_code": decision.payment.pay_code,
        }
    return body


def _decision_fields(decision: Decision) -> dict[str, Any]:
    return {
        "granted": decision.granted,
        "reason": decision.reason.value,
        "decision_id": decision.log_id,
        "holder": decision.holder_name or None,
        "pass_kind": decision.pass_kind,
        "door": decision.door.value,
        "uses_left": decision.uses_left,
        "retry_after_s": decision.retry_after_s,
    }


async def verify(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    gate = await _authenticated_gate(request)
    if request.content_type in FACE_CONTENT_TYPES:
        from access.api_faces import verify_face  # it imports this module

        return await verify_face(request, runtime, gate)
    body = await _json_object(request)
    unknown = set(body) - set(CREDENTIAL_PARSERS) - _VERIFY_FIELDS
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    given = [name for name in CREDENTIAL_PARSERS if name in body]
    if len(given) != 1:
        raise BadRequest(f"send exactly one of: {', '.join(CREDENTIAL_PARSERS)}")
    direction_raw = body.get("direction", "in")
    if direction_raw not in ("in", "out"):
        raise BadRequest("direction must be 'in' or 'out'")
    terminal = _terminal(body)
    confidence = read_confidence(body, given[0])
    credential = await CREDENTIAL_PARSERS[given[0]](runtime, gate, body[given[0]])
    if confidence is not None:
        credential = replace(credential, confidence=confidence)
    decision = await runtime.verify(
        gate, credential, direction=Direction(direction_raw), terminal=terminal
    )
    if decision.reason == Reason.LOCKED_OUT:
        wait = decision.retry_after_s or 1
        return web.json_response(
            decision_body(decision), status=429, headers={"Retry-After": str(wait)}
        )
    return web.json_response(decision_body(decision))


# --- faces: access/api_faces.py ------------------------------------------------------------

FACE_CONTENT_TYPES = ("image/jpeg", "multipart/form-data")


async def events(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    gate = await _authenticated_gate(request)
    event_type, details, terminal = event_fields(await _json_object(request))
    event_id = await runtime.record_event(gate, event_type, details, terminal)
    return web.json_response({"recorded": True, "event_id": event_id}, status=202)


def event_fields(body: dict[str, Any]) -> tuple[GateEventType, str, str | None]:
    """A terminal's event body read (the gate API's and a gate agent's): its type,
    details and terminal; BadRequest on anything else."""
    unknown = set(body) - {"type", "details", "terminal"}
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        event_type = GateEventType(str(body.get("type")))
    except ValueError:
        kinds = ", ".join(t.value for t in GateEventType)
        raise BadRequest(f"type must be one of: {kinds}") from None
    details = body.get("details", "")
    if not isinstance(details, str) or len(details) > 500:
        raise BadRequest("details must be a string of at most 500 characters")
    # Free text from a terminal: drop control characters (PostgreSQL refuses NUL in
    # text, and none belong in a log line), keep newlines and tabs.
    details = "".join(ch for ch in details if ch >= " " or ch in "\n\t")
    return event_type, details, _terminal(body)


async def health(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]

    def ping(conn: Connection) -> None:
        conn.execute(text("SELECT 1"))

    try:
        await runtime.runner.run(ping, readonly=True)
    except (OperationalError, DBAPIError, sqlite3.Error, OSError):
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error is JSON; nothing a client sends reaches a 500."""
    try:
        return await handler(request)
    except BadRequest as exc:
        return error_response(exc.status, exc.error, exc.detail)
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "too_large", f"the body may be at most {MAX_BODY} bytes")
    except web.HTTPMethodNotAllowed as exc:
        response = error_response(405, "method_not_allowed")
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
        return response
    except web.HTTPNotFound:
        return error_response(404, "not_found", "no such endpoint")
    except web.HTTPException as exc:
        if exc.status >= 500:
            raise
        return error_response(exc.status, "malformed", exc.reason)
    except (OperationalError, DBAPIError, sqlite3.Error):
        log.exception("gate API: database unavailable")
        return error_response(503, "unavailable", "the database is unavailable; retry shortly")
    except Exception:
        log.exception("gate API: unexpected failure")
        return error_response(500, "internal")


def create_gate_app(runtime: AccessRuntime) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY)
    app[RUNTIME_KEY] = runtime
    app.router.add_post("/v1/gates/{gate}/verify", verify)
    from access.api_faces import challenge

    app.router.add_post("/v1/gates/{gate}/challenge", challenge)
    app.router.add_post("/v1/gates/{gate}/events", events)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/openapi.json", openapi)

    async def revisions() -> set[str]:
        return await runtime.runner.run(current_revisions, readonly=True)

    add_probe_routes(app, Readiness(revisions))
    from access.sync.api import add_routes  # gate agents (imports this module)

    add_routes(app)
    from access.api_walkins import add_routes as add_walkin_routes  # (imports this module)

    add_walkin_routes(app)
    return app


async def serve(runtime: AccessRuntime, host: str, port: int) -> web.AppRunner:
    """Start the API on host:port; the caller cleans the returned runner up."""
    runner = web.AppRunner(create_gate_app(runtime), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    log.info("gate API listening", extra={"fields": {"host": host, "port": port}})
    return runner
