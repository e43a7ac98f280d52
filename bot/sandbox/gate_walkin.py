"""The gate pane's intercom: "Call the unit" and walk-in registration.

The page sends the unit (and, for a walk-in, the visitor's name, purpose and a photo
from the computer, as the gate camera would); the
request goes to the real gate API (``POST /v1/gates/{gate}/calls`` or ``…/walkins``)
with the gate's key, and the page polls the call's outcome
(``GET /v1/gates/{gate}/calls/{call}``) until the household answers or time is up.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.sandbox.api import ApiError, ok, read_json
from bot.sandbox.images import MAX_FACE_BYTES, as_jpeg

if TYPE_CHECKING:
    from bot.sandbox.gate_terminal import GateTerminal


async def _form(request: web.Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            raise ApiError("bad_request", 400)
        data = bytes(await part.read())
        if part.name == "photo":
            if not data or len(data) > MAX_FACE_BYTES:
                raise ApiError("bad_image")
            fields["photo"] = data
        elif len(data) <= 1024:
            fields[part.name] = data.decode("utf-8", "replace")
    return fields


class GateIntercom:
    def __init__(self, terminal: GateTerminal) -> None:
        self.terminal = terminal

    async def ring(self, request: web.Request) -> web.Response:
        """JSON, or a form with the camera's ``photo`` (a PNG is converted to JPEG)."""
        gate = self.terminal._gate(request)
        if request.content_type.startswith("multipart/"):
            body = await _form(request)
        else:
            body = await read_json(request)
        sent: dict[str, Any] = {"unit": str(body.get("unit", ""))[:40]}
        if isinstance(body.get("photo"), bytes):
            jpeg = await asyncio.get_running_loop().run_in_executor(None, as_jpeg, body["photo"])
            sent["photo"] = base64.b64encode(jpeg).decode("ascii")
        sent["terminal"] = f"sandbox-{gate.id}"
        path = "calls"
        if str(body.get("name", "")).strip():
            path = "walkins"
            sent["name"] = str(body["name"])[:120]
            if str(body.get("purpose", "")).strip():
                sent["purpose"] = str(body["purpose"])[:200]
        status, payload = await self.terminal._forward(gate, path, sent)
        return ok({"status": status, "call": payload})

    async def poll(self, request: web.Request) -> web.Response:
        gate = self.terminal._gate(request)
        call_id = request.match_info["call_id"]
        if not call_id.isdigit():
            raise ApiError("bad_request", 400)
        settings = self.terminal.sandbox.settings
        if settings is None:
            raise ApiError("gate_api_down", 503)
        port = self.terminal.agent.port or settings.gate_api_port
        url = f"http://127.0.0.1:{port}/v1/gates/{gate.id}/calls/{call_id}"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
                http.get(url, headers={"Authorization": f"Bearer {gate.api_key}"}) as response,
            ):
                return ok({"status": response.status, "call": await response.json()})
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise ApiError("gate_api_down", 503) from None
