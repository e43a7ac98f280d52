"""What every route of the sandbox API shares: JSON answers, errors, the same-origin rule."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

API = "/sandbox/api"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def ok(result: Any, status: int = 200) -> web.Response:
    return web.json_response({"ok": True, "result": result}, status=status)


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON errors for the sandbox API; other paths are left to their owners."""
    if not request.path.startswith(API):
        return await handler(request)
    if request.method == "POST":
        origin = request.headers.get("Origin")
        # Another web site must not drive the sandbox from the user's browser.
        if origin and origin.rstrip("/") not in _own_origins(request):
            return web.json_response({"ok": False, "error": "forbidden_origin"}, status=403)
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response({"ok": False, "error": exc.code}, status=exc.status)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        return web.json_response({"ok": False, "error": "bad_request"}, status=400)


def _own_origins(request: web.Request) -> set[str]:
    host = request.headers.get("Host", request.host)
    return {f"http://{host}", f"https://{host}"}


async def read_json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ApiError("bad_request")
    return body
