"""The OpenAPI document of the gate terminal API (:mod:`access.api`).

Served at ``GET /v1/openapi.json``; the suite checks the running server against it
with schemathesis, so it describes what the server does, not what it meant to do.
"""

from __future__ import annotations

from typing import Any

from access.decision import DoorOutcome, Reason
from access.faces.liveness import MAX_FRAMES, Action, LivenessProblem
from access.faces.quality import FaceProblem
from access.models import GateEventType, PassKind
from access.openapi_walkins import WALKIN_PATHS, WALKIN_SCHEMAS
from access.sync.openapi import AGENT_PATHS, AGENT_SCHEMAS
from access.vehicles.openapi import DECISION_PAYMENT, PLATE_PROPERTIES, VERIFY_ONE_OF

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_GATE_PARAM = {
    "name": "gate",
    "in": "path",
    "required": True,
    "description": "The gate's id, as printed by `courtyard gate add`.",
    "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999999999},
}

_COMMON_ERRORS = {
    "400": _error("Malformed request."),
    "401": _error("Missing or wrong gate key, or unknown gate."),
    "413": _error("Body too large."),
    "503": _error("The database is unavailable; retry shortly."),
}

_DECISION = {
    "type": "object",
    "required": ["granted", "reason", "door"],
    "properties": {
        "granted": {"type": "boolean"},
        "reason": {"type": "string", "enum": [r.value for r in Reason]},
        "decision_id": {"type": ["integer", "null"]},
        "holder": {"type": ["string", "null"], "description": "Display name of the holder."},
        "pass_kind": {"type": ["string", "null"], "enum": [*(k.value for k in PassKind), None]},
        "door": {"type": "string", "enum": [d.value for d in DoorOutcome]},
        "uses_left": {"type": ["integer", "null"]},
        "retry_after_s": {
            "type": ["integer", "null"],
            "description": "With reason locked_out: seconds until codes are accepted again.",
        },
        "face_problem": {
            "type": ["string", "null"],
            "enum": [*(p.value for p in FaceProblem), None],
            "description": (
                "Face requests only, with reason face_unusable: what to fix in front of the "
                "camera (one person at a time, come closer, more light …)."
            ),
        },
        "liveness_problem": {
            "type": ["string", "null"],
            "enum": [*(p.value for p in LivenessProblem), None],
            "description": (
                'Face requests only, with reason liveness_failed: show "look at the camera '
                'and blink / turn your head as asked", ask for a new challenge, and offer '
                "the keypad, card or opening from the chat."
            ),
        },
        **DECISION_PAYMENT,
    },
}

_DIRECTION = {
    "type": "string",
    "enum": ["in", "out"],
    "default": "in",
    "description": (
        "The lane the terminal serves: `in` (entry) or `out` (exit). A gate with lanes "
        "both ways takes either; an entry-only or exit-only gate refuses the other "
        "(`not_allowed`). A granted exit is logged and ends the holder's stay."
    ),
}
_TERMINAL = {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}
# In a JSON body ``"terminal": null`` means "not given", as the handlers treat it.
_JSON_TERMINAL = {
    "type": ["string", "null"],
    "pattern": "^[A-Za-z0-9_.:-]{1,64}$",
    "description": "The terminal's name; null or absent: not given.",
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Courtyard gate terminal API",
        "version": "1.0.0",
        "description": (
            "Gate terminals (keypad, QR reader) ask whether to open. Authenticate with the "
            "gate's key: `Authorization: Bearer <key>`. Every error is a JSON object."
        ),
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            "gateKey": {"type": "http", "scheme": "bearer"},
            "agentKey": {"type": "http", "scheme": "bearer"},
        },
        "schemas": {
            "Error": _ERROR,
            "Decision": _DECISION,
            "VerifyRequest": {
                "type": "object",
                "additionalProperties": False,
                "oneOf": VERIFY_ONE_OF,
                "properties": {
                    "code": {
                        "type": "string",
                        "pattern": "^[0-9]{1,32}$",
                        "description": "Digits typed on the keypad (visitor codes have 8).",
                    },
                    "qr": {"type": "string", "minLength": 1, "maxLength": 256},
                    **PLATE_PROPERTIES,
                    "direction": _DIRECTION,
                    "terminal": _JSON_TERMINAL,
                },
            },
            "FaceRequest": {
                "type": "object",
                "additionalProperties": False,
                "anyOf": [{"required": ["face"]}, {"required": ["frame"]}],
                "properties": {
                    "face": {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": "image/jpeg",
                        "description": "One camera frame, JPEG, at most 4 MiB.",
                    },
                    "frame": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_FRAMES,
                        "items": {"type": "string", "format": "binary"},
                        "description": (
                            "A burst answering a challenge: the frames in order, recorded "
                            "over about two seconds while the person does the action "
                            "(unmirrored, as the camera sees). 4 MiB in all."
                        ),
                    },
                    "challenge": {
                        "type": "string",
                        "maxLength": 64,
                        "description": "The token from POST /v1/gates/{gate}/challenge.",
                    },
                    "liveness": {
                        "type": "string",
                        "enum": ["passed"],
                        "description": (
                            "The terminal's own liveness verdict (IR or depth camera). "
                            "Counted only from a terminal registered as liveness-capable "
                            "for a gate in liveness mode `terminal`."
                        ),
                    },
                    "direction": _DIRECTION,
                    "terminal": _TERMINAL,
                },
            },
            **AGENT_SCHEMAS,
            **WALKIN_SCHEMAS,
            "EventRequest": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": [t.value for t in GateEventType]},
                    "details": {"type": "string", "maxLength": 500},
                    "terminal": _JSON_TERMINAL,
                },
            },
        },
    },
    "paths": {
        "/v1/gates/{gate}/verify": {
            "post": {
                "operationId": "verify",
                "summary": (
                    "Decide on a code, a QR token, a plate or a face; releases the door if granted."
                ),
                "description": (
                    "A code, a QR token or a plate is sent as JSON. A plate opens a "
                    "vehicle gate (elsewhere `wrong_gate`) for a resident's approved "
                    "registration, a visitor pass carrying it (within its window) or the "
                    "community's white list; the black list refuses it (`blocked`). "
                    "A face is sent either as the raw "
                    "JPEG (`Content-Type: image/jpeg`; direction `in`, no terminal name) or "
                    "as `multipart/form-data` with a `face` part and optional `direction` "
                    "and `terminal` parts. "
                    "A face opens only for an enrolled resident of the gate's community "
                    "whose match is both close and clearly closer than anyone else's; "
                    "otherwise the reason is `face_unusable` (see `face_problem`; also for "
                    "a frame that does not decode), `no_match` or `ambiguous`. A resident "
                    "enrolled next to a look-alike (two enrolled people nearer than the "
                    "look-alike guard) gets `second_factor`: face alone is not enough, "
                    "offer the keypad. Unless the gate's liveness mode is `off`, one still "
                    "frame is not enough: in mode `challenge` (the default) send the burst "
                    "of `frame` parts answering a challenge; in mode `terminal` a "
                    "registered liveness-capable terminal sends `liveness=passed`; "
                    "otherwise the reason is `liveness_failed` (see `liveness_problem`). "
                    "After 5 "
                    "failed faces in a row at a gate the answer is `use_code` until a quiet "
                    "minute has passed or someone got in with a code or card; it is also "
                    "the answer of a server without face access. No image is kept."
                ),
                "security": [{"gateKey": []}],
                "parameters": [_GATE_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/VerifyRequest"}
                        },
                        "image/jpeg": {
                            "schema": {
                                "type": "string",
                                "format": "binary",
                                "contentMediaType": "image/jpeg",
                            }
                        },
                        "multipart/form-data": {
                            "schema": {"$ref": "#/components/schemas/FaceRequest"},
                            "encoding": {
                                "face": {"contentType": "image/jpeg"},
                                "frame": {"contentType": "image/jpeg"},
                            },
                        },
                    },
                },
                "responses": {
                    "200": {
                        "description": "The decision (granted or denied, with the reason).",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Decision"}
                            }
                        },
                    },
                    "429": {
                        "description": (
                            "Locked out after repeated wrong codes: wait Retry-After seconds."
                        ),
                        "headers": {
                            "Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"}}
                        },
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Decision"}
                            }
                        },
                    },
                    **_COMMON_ERRORS,
                },
            }
        },
        "/v1/gates/{gate}/challenge": {
            "post": {
                "operationId": "faceChallenge",
                "summary": "A random liveness action for the terminal to ask for.",
                "description": (
                    "For gates in liveness mode `challenge` (the default): show the action, "
                    "record about `burst_ms` of frames, and send them as `frame` parts with "
                    "`challenge` to verify within `expires_in_s`. Each token works once."
                ),
                "security": [{"gateKey": []}],
                "parameters": [_GATE_PARAM],
                "responses": {
                    "200": {
                        "description": "The action and its single-use token.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["challenge", "action", "expires_in_s"],
                                    "properties": {
                                        "challenge": {"type": "string"},
                                        "action": {
                                            "type": "string",
                                            "enum": [a.value for a in Action],
                                        },
                                        "expires_in_s": {"type": "integer"},
                                        "burst_ms": {"type": "integer"},
                                        "max_frames": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    "409": _error("Face access is not set up on this server."),
                    **_COMMON_ERRORS,
                },
            }
        },
        "/v1/gates/{gate}/events": {
            "post": {
                "operationId": "reportEvent",
                "summary": "Report door forced, door held open or tamper; staff are alerted.",
                "security": [{"gateKey": []}],
                "parameters": [_GATE_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/EventRequest"}
                        }
                    },
                },
                "responses": {
                    "202": {
                        "description": "Recorded; staff are being alerted.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["recorded", "event_id"],
                                    "properties": {
                                        "recorded": {"type": "boolean"},
                                        "event_id": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    **_COMMON_ERRORS,
                },
            }
        },
        "/v1/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness and database reachability (no key needed).",
                "responses": {
                    "200": {
                        "description": "Serving.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["status"],
                                    "properties": {
                                        "status": {"type": "string"},
                                        "database": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "503": {
                        "description": "The database is unreachable.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["status"],
                                    "properties": {
                                        "status": {"type": "string"},
                                        "database": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                },
            }
        },
        **AGENT_PATHS,
        **WALKIN_PATHS,
    },
}
