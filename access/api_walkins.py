"""The gate API's walk-ins and intercom calls (:mod:`access.walkins`).

- ``POST /v1/gates/{gate}/walkins`` — register a walk-in: JSON ``unit``, ``name``,
  optional ``purpose``, optional ``photo`` (the gate camera's JPEG, base64) and
  ``terminal``. The household is rung in the chat.
- ``POST /v1/gates/{gate}/calls`` — "call the unit" (intercom): JSON ``unit``, optional
  ``photo`` and ``terminal``.
- ``GET /v1/gates/{gate}/calls/{call}`` — the call's outcome, for the terminal to poll
  (``ringing`` until a resident answers or the time is up).

Both POSTs answer 201 with the call; a unit nobody lives in, or a muted household,
is already decided in that answer. The routes are :mod:`access.api`'s.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from access.api import RUNTIME_KEY, BadRequest, _authenticated_gate, _json_object, _terminal
from access.walkins.models import CallKind, CallStatus
from access.walkins.service import NAME_MAX, PURPOSE_MAX, WalkinDesk, WalkinError, clean_text
from access.walkins.views import CallView

PHOTO_MAX = 3 * 1024 * 1024
UNIT_MAX = 40
_FIELDS = {
    CallKind.WALKIN: {"unit", "name", "purpose", "photo", "terminal"},
    CallKind.CALL: {"unit", "photo", "terminal"},
}
_ERRORS = {
    "unknown_unit": (404, "no unit of this community has that label"),
    "gate_disabled": (409, "this gate is disabled"),
    "bad_name": (400, f"name must be 1 to {NAME_MAX} characters"),
    "bad_purpose": (400, f"purpose must be at most {PURPOSE_MAX} characters"),
    "rate_limited": (429, "too many calls to this unit from this gate; wait Retry-After"),
    "refused_recently": (429, "the household refused a moment ago; wait Retry-After"),
}


def _desk(request: web.Request) -> WalkinDesk:
    desk = request.app[RUNTIME_KEY].walkins
    if desk is None:
        raise BadRequest("walk-ins are not set up on this server", 409, "not_available")
    return desk


def _text(body: dict[str, Any], name: str, limit: int, *, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not clean_text(value, limit) or len(value) > limit:
        raise BadRequest(f"{name} must be a string of 1 to {limit} characters")
    return value


def _photo(body: dict[str, Any]) -> bytes | None:
    value = body.get("photo")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > PHOTO_MAX * 4 // 3 + 4:
        raise BadRequest("photo must be a base64 JPEG of at most 3 MiB")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("photo is not valid base64") from None
    if not data.startswith(b"\xff\xd8") or len(data) > PHOTO_MAX:
        raise BadRequest("photo must be a base64 JPEG of at most 3 MiB")
    return data


def call_body(call: CallView, now: Any) -> dict[str, Any]:
    decided_by = None
    if call.status == CallStatus.NO_ANSWER.value:
        decided_by = "timeout"
    elif call.decided_by_person_id is not None:
        decided_by = "resident"
    return {
        "call_id": call.id,
        "kind": call.kind,
        "status": call.status,
        "unit": call.unit_label,
        "expires_in_s": call.expires_in_s(now),
        "decided_by": decided_by,
        "door": call.door,
        "decision_id": call.log_id,
        "reached": call.reached,
    }


async def _ring(request: web.Request, kind: CallKind) -> web.Response:
    gate = await _authenticated_gate(request)
    desk = _desk(request)
    body = await _json_object(request)
    unknown = set(body) - _FIELDS[kind]
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    unit = _text(body, "unit", UNIT_MAX, required=True)
    name = _text(body, "name", NAME_MAX, required=True) if kind == CallKind.WALKIN else ""
    purpose = _text(body, "purpose", PURPOSE_MAX, required=False)
    terminal = _terminal(body)
    photo = _photo(body)
    try:
        call = await desk.ring(
            gate,
            unit_label=unit,
            kind=kind,
            visitor_name=name,
            purpose=purpose,
            terminal=terminal,
            photo=photo,
        )
    except WalkinError as exc:
        status, detail = _ERRORS[exc.code]
        response: dict[str, Any] = {"error": exc.code, "detail": detail}
        headers = {}
        if exc.retry_after_s is not None:
            response["retry_after_s"] = exc.retry_after_s
            headers["Retry-After"] = str(exc.retry_after_s)
        return web.json_response(response, status=status, headers=headers)
    return web.json_response(call_body(call, desk.runtime.clock.now()), status=201)


async def register_walkin(request: web.Request) -> web.Response:
    return await _ring(request, CallKind.WALKIN)


async def call_unit(request: web.Request) -> web.Response:
    return await _ring(request, CallKind.CALL)


async def call_status(request: web.Request) -> web.Response:
    gate = await _authenticated_gate(request)
    desk = _desk(request)
    raw = request.match_info.get("call", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise BadRequest("the call id must be a positive whole number")
    call = await desk.status(gate.id, int(raw))
    if call is None:
        raise BadRequest("this gate has no such call", 404, "not_found")
    return web.json_response(call_body(call, desk.runtime.clock.now()))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/gates/{gate}/walkins", register_walkin)
    app.router.add_post("/v1/gates/{gate}/calls", call_unit)
    app.router.add_get("/v1/gates/{gate}/calls/{call}", call_status)
