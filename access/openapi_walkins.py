"""The walk-in and intercom part of the gate API's OpenAPI document
(:mod:`access.api_walkins`), merged into :data:`access.openapi.OPENAPI`."""

from __future__ import annotations

from typing import Any

from access.walkins.models import CallKind, CallStatus

_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_GATE = {
    "name": "gate",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999999999},
}
# At least one character that is neither a space nor a control character.
_NOT_BLANK = "[^\\s\\x00-\\x1f]"
_PHOTO = {
    "type": "string",
    "contentEncoding": "base64",
    "contentMediaType": "image/jpeg",
    # A JPEG starts FF D8 FF, "/9j/" in base64; padded to a multiple of 4.
    "pattern": "^/9j/([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
    "description": "The gate camera's photo of the visitor: a JPEG of at most 3 MiB, base64.",
}
_TERMINAL = {"type": ["string", "null"], "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}
_UNIT = {
    "type": "string",
    "minLength": 1,
    "maxLength": 40,
    "pattern": _NOT_BLANK,
    "description": "The unit as the visitor says it: `3栋-1201`, `3-1201`, `3栋1201` …",
}


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR_REF}


_RING_ERRORS = {
    "400": _err("Malformed request (the detail says what)."),
    "401": _err("Missing or wrong gate key, or unknown gate."),
    "409": _err("The gate is disabled, or walk-ins are not set up on this server."),
    "413": _err("Body too large."),
    "404": _err("No unit of this community has that label (`unknown_unit`)."),
    "429": {
        "description": (
            "`rate_limited` (too many calls to this unit from this gate) or "
            "`refused_recently` (the household refused this gate's call a moment ago): "
            "wait Retry-After seconds."
        ),
        "headers": {"Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "content": _ERROR_REF,
    },
    "503": _err("The database is unavailable; retry shortly."),
}

WALKIN_SCHEMAS: dict[str, Any] = {
    "WalkinRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["unit", "name"],
        "properties": {
            "unit": _UNIT,
            "name": {"type": "string", "minLength": 1, "maxLength": 120, "pattern": _NOT_BLANK},
            "purpose": {"type": ["string", "null"], "maxLength": 200, "pattern": _NOT_BLANK},
            "photo": {**_PHOTO, "type": ["string", "null"]},
            "terminal": _TERMINAL,
        },
    },
    "CallRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["unit"],
        "properties": {
            "unit": _UNIT,
            "photo": {**_PHOTO, "type": ["string", "null"]},
            "terminal": _TERMINAL,
        },
    },
    "Call": {
        "type": "object",
        "required": ["call_id", "kind", "status", "unit", "expires_in_s"],
        "properties": {
            "call_id": {"type": "integer"},
            "kind": {"type": "string", "enum": [k.value for k in CallKind]},
            "status": {
                "type": "string",
                "enum": [s.value for s in CallStatus],
                "description": (
                    "`ringing` until a resident answers: `let_in` (the door was released, "
                    "see `door`) or `refused`; `no_answer` after the household's time; "
                    "`no_residents` (nobody lives there: ask the guard) and `muted` (the "
                    "household is not taking calls now) are answered at once."
                ),
            },
            "unit": {"type": "string"},
            "expires_in_s": {"type": "integer", "description": "While ringing: seconds left."},
            "decided_by": {"type": ["string", "null"], "enum": ["resident", "timeout", None]},
            "door": {"type": ["string", "null"]},
            "decision_id": {"type": ["integer", "null"]},
            "reached": {
                "type": "integer",
                "description": (
                    "Residents the call reached in the chat (0 while sending; with "
                    "`no_answer`, 0 means nobody in the household could be reached)."
                ),
            },
        },
    },
}


def _ring_op(op_id: str, summary: str, schema: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": op_id,
            "summary": summary,
            "security": [{"gateKey": []}],
            "parameters": [_GATE],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                },
            },
            "responses": {
                "201": {
                    "description": "The call; poll GET /v1/gates/{gate}/calls/{call_id}.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Call"}}
                    },
                },
                **_RING_ERRORS,
            },
        }
    }


WALKIN_PATHS: dict[str, Any] = {
    "/v1/gates/{gate}/walkins": _ring_op(
        "registerWalkin",
        "Register a walk-in visitor; the household gets the photo with Let in once / Refuse.",
        "WalkinRequest",
    ),
    "/v1/gates/{gate}/calls": _ring_op(
        "callUnit", "Call the unit (intercom): the household is rung in the chat.", "CallRequest"
    ),
    "/v1/gates/{gate}/calls/{call}": {
        "get": {
            "operationId": "callStatus",
            "summary": "The call's outcome, for the terminal to poll (every 1–2 s).",
            "security": [{"gateKey": []}],
            "parameters": [
                _GATE,
                {
                    "name": "call",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999999999},
                },
            ],
            "responses": {
                "200": {
                    "description": "The call.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Call"}}
                    },
                },
                "400": _RING_ERRORS["400"],
                "401": _RING_ERRORS["401"],
                "404": _err("This gate has no such call."),
                "409": _err("Walk-ins are not set up on this server."),
                "503": _RING_ERRORS["503"],
            },
        }
    },
}
