"""The gate API's face requests: one image, or a burst of frames answering a challenge.

- ``POST /v1/gates/{gate}/verify`` with ``image/jpeg`` (one frame; direction ``in``, no
  terminal name) or ``multipart/form-data``: a ``face`` part, or up to ``MAX_FRAMES``
  ``frame`` parts with the ``challenge`` token; ``direction``, ``terminal``, and
  ``liveness=passed`` from a liveness-capable terminal.
- ``POST /v1/gates/{gate}/challenge`` — a random action (blink, turn left, turn right)
  and its single-use token (:mod:`access.faces.liveness`).

The routes are :mod:`access.api`'s; this module only keeps faces out of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from access.api import (
    _VERIFY_FIELDS,
    MAX_BODY,
    RUNTIME_KEY,
    BadRequest,
    _authenticated_gate,
    _terminal,
    decision_body,
    error_response,
)
from access.faces.engine import FaceEngineNotReady
from access.faces.liveness import BURST_MS, CHALLENGE_TTL_S, MAX_FRAMES
from access.gates import GateInfo
from access.service import AccessRuntime
from access.verification import Credential, Direction, Reason
from core.metrics import FACE_DECISIONS

log = logging.getLogger(__name__)
_FIELD_MAX = 256


async def _read_part(part: Any, limit: int, what: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            if what == "face":
                raise BadRequest(f"the body may be at most {MAX_BODY} bytes", 413, "too_large")
            raise BadRequest(f"{what} is too long")
    return bytes(data)


_FACE_FIELDS = _VERIFY_FIELDS | {"challenge", "liveness"}


@dataclass
class _FaceRequest:
    image: bytes | None = None  # the ``face`` part (or the raw JPEG body)
    frames: list[bytes] = field(default_factory=list)  # ``frame`` parts: a burst
    fields: dict[str, str] = field(default_factory=dict)


async def _face_request(request: web.Request) -> _FaceRequest:
    """The image(s) and the other fields of a face verify request."""
    if request.content_type == "image/jpeg":
        if request.query:
            # Silently entering "in" for an exit camera would corrupt the log.
            raise BadRequest(
                "a raw JPEG carries no fields: send direction and terminal as parts of a "
                "multipart/form-data body"
            )
        return _FaceRequest(image=await request.read())
    got = _FaceRequest()
    total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            name = getattr(part, "name", None)
            if name == "face" and got.image is None:
                got.image = await _read_part(part, MAX_BODY - total, "face")
                total += len(got.image)
            elif name == "frame" and len(got.frames) < MAX_FRAMES:
                got.frames.append(await _read_part(part, MAX_BODY - total, "face"))
                total += len(got.frames[-1])
            elif name in _FACE_FIELDS and name not in got.fields:
                raw = await _read_part(part, _FIELD_MAX, name)
                got.fields[name] = raw.decode("utf-8")
            elif name == "frame":
                raise BadRequest(f"at most {MAX_FRAMES} frame parts")
            elif name == "face" or name in got.fields:
                raise BadRequest(f"the part {name!r} is given twice")
            else:
                raise BadRequest(
                    f"unknown part {name!r}: send face or frame, direction, terminal, "
                    "challenge, liveness"
                )
    except (ValueError, LookupError, AssertionError, TypeError, HttpProcessingError) as exc:
        # aiohttp's multipart reader raises these on a malformed body.
        raise BadRequest(f"malformed multipart body: {exc}") from None
    if got.image is None and not got.frames:
        raise BadRequest("the multipart body needs a 'face' or 'frame' part holding a JPEG image")
    if got.fields.get("liveness", "passed") != "passed":
        raise BadRequest("liveness may only be 'passed' (send nothing otherwise)")
    return got


async def verify_face(request: web.Request, runtime: AccessRuntime, gate: GateInfo) -> web.Response:
    got = await _face_request(request)
    fields = got.fields
    direction_raw = fields.get("direction", "in")
    if direction_raw not in ("in", "out"):
        raise BadRequest("direction must be 'in' or 'out'")
    terminal = _terminal(fields)
    direction = Direction(direction_raw)
    if runtime.faces is None:
        FACE_DECISIONS.labels("use_code").inc()
        # Face access is not set up here: the terminal should offer the keypad. Logged
        # like any refused face, so a misconfigured terminal shows in the access log.
        decision = await runtime.verify(
            gate, Credential.face(None, Reason.USE_CODE), direction=direction, terminal=terminal
        )
        return web.json_response(
            {**decision_body(decision), "face_problem": None, "liveness_problem": None}
        )
    try:
        verdict = await runtime.faces.verify(
            runtime,
            gate,
            got.image,
            frames=got.frames,
            challenge=fields.get("challenge"),
            liveness=fields.get("liveness"),
            direction=direction,
            terminal=terminal,
        )
    except FaceEngineNotReady:
        FACE_DECISIONS.labels("unavailable").inc()
        log.exception("gate API: the face engine is not ready")
        return error_response(
            503, "unavailable", "face recognition is unavailable; use a code or card"
        )
    body = decision_body(verdict.decision)
    body["face_problem"] = verdict.problem.value if verdict.problem else None
    body["liveness_problem"] = verdict.liveness.value if verdict.liveness else None
    outcome = "granted" if verdict.decision.granted else "refused"
    FACE_DECISIONS.labels(body["face_problem"] or body["liveness_problem"] or outcome).inc()
    return web.json_response(body)


async def challenge(request: web.Request) -> web.Response:
    """A random action for the terminal to show before it records a burst of frames."""
    runtime = request.app[RUNTIME_KEY]
    gate = await _authenticated_gate(request)
    if runtime.faces is None:
        return error_response(409, "no_faces", "face access is not set up: use a code or card")
    issued = await runtime.faces.challenge(runtime, gate)
    return web.json_response(
        {
            "challenge": issued.token,
            "action": issued.action.value,
            "expires_in_s": CHALLENGE_TTL_S,
            "burst_ms": BURST_MS,
            "max_frames": MAX_FRAMES,
        }
    )
