"""aiohttp routes of the bot side: ``/bot{token}/{method}`` and file downloads.

Responses mirror Telegram byte for byte where aiogram cares: ``{"ok": true,
"result": ...}`` on success, ``{"ok": false, "error_code", "description"[,
"parameters"]}`` with the same HTTP status on failure, 404 "Not Found: method
not found" for unknown methods and 401 "Unauthorized" for a malformed token.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import BotAPIError, not_found
from bot.emulator.methods import METHODS
from bot.emulator.params import Params

log = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Calls too frequent to be worth logging when they succeed.
_QUIET_METHODS = frozenset({"getupdates"})


def _unauthorized() -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
    )


class BotAPIServer:
    """Serves the Bot API for one bot identity."""

    def __init__(self, core: EmulatorCore, token: str | None = None) -> None:
        self.core = core
        # When set, only this exact token is accepted (to test 401 handling);
        # otherwise any well-formed token reaches the one emulated bot.
        self.token = token

    def setup(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)

    def _token_ok(self, token: str) -> bool:
        if not TOKEN_PATTERN.match(token):
            return False
        return self.token is None or token == self.token

    async def handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not self._token_ok(token):
            return _unauthorized()
        self.core.adopt_bot_id(int(token.split(":", 1)[0]))
        method = request.match_info["method"]
        try:
            params = await Params.from_request(request)
            result = await self.call(method, params)
        except BotAPIError as exc:
            return web.json_response(exc.to_json(), status=exc.error_code)
        if self.core.options.loses_answer(method):  # delivered, but the bot never hears so
            lost = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return web.json_response(lost, status=502)
        return web.json_response({"ok": True, "result": result})

    async def call(self, method: str, params: Params) -> Any:
        """Run one Bot API method, logging it for tests and the event stream."""
        handler = METHODS.get(method.lower())
        quiet = method.lower() in _QUIET_METHODS
        try:
            if handler is None:
                raise not_found()
            result = await handler(self.core, params)
        except BotAPIError as exc:
            self.core.record_call(method, params.summary(), exc)
            raise
        except Exception as exc:
            # An emulator bug must reach the bot as a server error, not hang it.
            log.exception("emulator failed in %s", method)
            error = BotAPIError(500, f"Internal Server Error: {exc.__class__.__name__}: {exc}")
            self.core.record_call(method, params.summary(), error)
            raise error from exc
        if not quiet:
            self.core.record_call(method, params.summary(), None)
        return result

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if not self._token_ok(request.match_info["token"]):
            return _unauthorized()
        stored = self.core.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
