"""The agent routes' part of the gate API's OpenAPI document (:mod:`access.openapi`)."""

from __future__ import annotations

from typing import Any

from access.decision import Method, Reason

_AGENT_PARAM = {
    "name": "agent",
    "in": "path",
    "required": True,
    "description": "The agent's id, as printed by `courtyard gate-agents add`.",
    "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999999999},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_ERRORS = {
    "400": _error("Malformed request."),
    "401": _error("Missing or wrong agent key, or unknown agent."),
    "503": _error("The database is unavailable; retry shortly."),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


AGENT_SCHEMAS: dict[str, Any] = {
    "AgentFeed": {
        "type": "object",
        "required": ["agent_id", "community_id", "version", "full", "gates", "passes"],
        "properties": {
            "agent_id": {"type": "integer"},
            "community_id": {"type": "integer"},
            "version": {"type": "integer", "description": "Ask `since` this next time."},
            "full": {
                "type": "boolean",
                "description": "A snapshot: passes not listed are no longer the agent's.",
            },
            "server_time": {"type": "string"},
            "gates": {"type": "array", "items": {"type": "object"}},
            "residents": {
                "type": "array",
                "items": {"type": "object", "required": ["id"]},
                "description": "Residents' gate QR codes (hashed), or `gone`.",
            },
            "plates": {
                "type": ["object", "null"],
                "description": (
                    "For an agent with a vehicle gate (else null), sent whole: `vehicles` "
                    "(residents' approved plates: person, unit, class, residency's end "
                    "`until`) and `lists` (`plate`, `kind`: block or allow)."
                ),
            },
            "households": {
                "type": "array",
                "items": {"type": "object", "required": ["pass_id"]},
                "description": (
                    "Sent whole: each household still keeping a daily-help pass "
                    "(`pass_id`, residency's end `until`)."
                ),
            },
            "sealed": {
                "type": "string",
                "description": "The community's credential key, sealed with the agent's secret.",
            },
            "passes": {
                "type": "array",
                "items": {"type": "object", "required": ["id"]},
                "description": (
                    "Code and QR hashes (never the codes), window, hours, uses, a visitor's "
                    "`car_plate`; or "
                    '`{"id": N, "gone": true}` for a pass that no longer opens its gates.'
                ),
            },
        },
    },
    "OfflineDecisions": {
        "type": "object",
        "required": ["decisions"],
        "properties": {
            "decisions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 500,
                "items": {
                    "type": "object",
                    "required": ["key", "gate_id", "at", "method", "reason"],
                    "properties": {
                        "key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                        "gate_id": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                        "method": {"type": "string", "enum": [m.value for m in Method]},
                        "direction": {"type": "string", "enum": ["in", "out"]},
                        "granted": {"type": "boolean"},
                        "reason": {"type": "string", "enum": [r.value for r in Reason]},
                        "pass_id": {"type": ["integer", "null"]},
                        "resident_key_id": {
                            "type": ["integer", "null"],
                            "description": "A resident's gate QR, for a decision without a pass.",
                        },
                        "plate": {
                            "type": ["string", "null"],
                            "description": "A plate read (normalized): the vehicle's visit.",
                        },
                        "holder_name": {"type": ["string", "null"]},
                        "terminal": {"type": ["string", "null"]},
                    },
                },
            }
        },
    },
}

AGENT_PATHS: dict[str, Any] = {
    "/v1/agents/{agent}/sync": {
        "get": {
            "operationId": "agentSync",
            "summary": "A gate agent's snapshot, or its changes since a version.",
            "security": [{"agentKey": []}],
            "parameters": [
                _AGENT_PARAM,
                {
                    "name": "wait",
                    "in": "query",
                    "required": False,
                    "description": "With since: wait up to this many seconds for a change.",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 30},
                },
                {
                    "name": "since",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 999999999999999999},
                },
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/AgentFeed"}, "The feed."),
                **_ERRORS,
            },
        }
    },
    "/v1/agents/{agent}/decisions": {
        "post": {
            "operationId": "agentDecisions",
            "summary": "Decisions the agent made offline; recorded once per key.",
            "security": [{"agentKey": []}],
            "parameters": [_AGENT_PARAM],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/OfflineDecisions"}
                    }
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["recorded", "duplicates", "double_grants"],
                        "properties": {
                            "recorded": {"type": "array", "items": {"type": "string"}},
                            "duplicates": {"type": "array", "items": {"type": "string"}},
                            "double_grants": {"type": "array", "items": {"type": "integer"}},
                        },
                    },
                    "Recorded and duplicate keys: the agent may forget both.",
                ),
                "403": _error("A gate that is not the agent's."),
                "413": _error("Body too large."),
                **_ERRORS,
            },
        }
    },
}
