"""The gate terminal pane: the door's state and access log, and requests to the gate API.

The page plays the terminal: what it sends is forwarded to the real gate
terminal API with the gate's key, which the page never sees.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import aliased

from access.models import AccessLogEntry, Pass
from bot.sandbox.api import ApiError, ok, read_json
from bot.sandbox.gate_agent import SandboxGateAgent
from bot.sandbox.images import as_jpeg, burst_upload, decode_qr, image_upload
from bot.sandbox.seed_vehicles import plates_to_pick
from core.models import Building, Person, Unit

if TYPE_CHECKING:
    from bot.sandbox.runtime import Sandbox

log = logging.getLogger(__name__)

GATE_TIMEOUT_S = 15.0


class GateTerminal:
    """Routes of the gate pane, bound to one running :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._http: aiohttp.ClientSession | None = None
        self.agent = SandboxGateAgent(sandbox)  # "cut the cable" (bot/sandbox/gate_agent.py)

    async def close(self, _app: web.Application) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _gate(self, request: web.Request) -> Any:
        state = self.sandbox.state
        assert state is not None
        raw = request.match_info["gate_id"]
        gate = next((g for g in state.gates if str(g.id) == raw), None)
        if gate is None:
            raise ApiError("unknown_gate", 404)
        return gate

    def _door(self, gate_id: int) -> dict[str, Any]:
        runtime = self.sandbox.access_runtime()
        door = runtime.doors.existing(gate_id) if runtime is not None else None
        if door is None:
            # No command yet (or no gate module): a simulated door starts locked.
            return {"state": "locked" if runtime is not None else "unknown", "open_for_s": 0}
        state = str(getattr(door, "state", "unknown"))
        open_until = float(getattr(door, "open_until", 0.0))
        return {
            "state": state,
            "open_for_s": round(max(0.0, open_until - time.monotonic()), 1),
            "releases": int(getattr(door, "releases", 0)),
        }

    async def state(self, request: web.Request) -> web.Response:
        gate = self._gate(request)
        app = self.sandbox.require_app()
        person = aliased(Person)
        async with app.ctx.session_factory() as session:
            rows = (
                await session.execute(
                    select(AccessLogEntry, person.full_name, Building.name, Unit.number, Pass.kind)
                    .outerjoin(person, person.id == AccessLogEntry.person_id)
                    .outerjoin(Unit, Unit.id == AccessLogEntry.host_unit_id)
                    .outerjoin(Building, Building.id == Unit.building_id)
                    .outerjoin(Pass, Pass.id == AccessLogEntry.pass_id)
                    .where(AccessLogEntry.gate_id == gate.id)
                    .order_by(AccessLogEntry.id.desc())
                    .limit(12)
                )
            ).all()
        log_rows = [
            {
                "id": entry.id,
                "at": entry.at.isoformat(),
                "method": entry.method,
                "direction": entry.direction,
                "granted": entry.granted,
                "reason": entry.reason,
                "holder": entry.holder_name or name or "",
                "unit": f"{building}-{number}" if building else "",
                "pass_kind": kind.value if kind else None,
            }
            for entry, name, building, number, kind in rows
        ]
        plates: list[str] = []
        if gate.kind == "vehicle" and self.sandbox.state is not None:
            async with app.ctx.session_factory() as session:
                plates = await plates_to_pick(session, self.sandbox.state.community_id)
        return ok(
            {
                "gate": {"id": gate.id, "name": gate.name, "kind": gate.kind},
                "plates": plates,
                "door": self._door(gate.id),
                "log": log_rows,
                "agent": self.agent.status(),
            }
        )

    async def _forward(
        self,
        gate: Any,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        form: aiohttp.FormData | None = None,
    ) -> tuple[int, Any]:
        settings = self.sandbox.settings
        if settings is None or self.sandbox.access_runtime() is None:
            raise ApiError("gate_api_down", 503)
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GATE_TIMEOUT_S))
        port = self.agent.port or settings.gate_api_port  # through the agent once started
        url = f"http://127.0.0.1:{port}/v1/gates/{gate.id}/{path}"
        headers = {"Authorization": f"Bearer {gate.api_key}"}
        try:
            async with self._http.post(
                url, json=body if form is None else None, data=form, headers=headers
            ) as response:
                try:
                    payload = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    payload = {"error": "not_json"}
                return response.status, payload
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("gate API unreachable: %s", exc)
            raise ApiError("gate_api_down", 503) from None

    async def verify(self, request: web.Request) -> web.Response:
        gate = self._gate(request)
        body = await read_json(request)
        # The terminal names itself; the credential fields go through as the
        # page sent them (the gate API validates them and answers 4xx if wrong).
        body["terminal"] = f"sandbox-{gate.id}"
        status, payload = await self._forward(gate, "verify", body)
        return ok({"status": status, "decision": payload, "door": self._door(gate.id)})

    async def face(self, request: web.Request) -> web.Response:
        """A photo from the page's upload or webcam, shown to the gate's camera.

        A terminal's camera sends JPEG; an uploaded PNG is converted first.
        """
        gate = self._gate(request)
        image = await image_upload(request)
        jpeg = await asyncio.get_running_loop().run_in_executor(None, as_jpeg, image)
        form = aiohttp.FormData()
        form.add_field("face", jpeg, filename="face.jpg", content_type="image/jpeg")
        form.add_field("terminal", f"sandbox-{gate.id}")
        status, payload = await self._forward(gate, "verify", form=form)
        return ok({"status": status, "decision": payload, "door": self._door(gate.id)})

    async def challenge(self, request: web.Request) -> web.Response:
        """Ask the gate for a liveness action (blink, turn left or right) for the webcam."""
        gate = self._gate(request)
        status, payload = await self._forward(gate, "challenge")
        return ok({"status": status, "challenge": payload})

    async def face_burst(self, request: web.Request) -> web.Response:
        """The webcam's frames, recorded while the person did the action asked."""
        gate = self._gate(request)
        challenge, frames = await burst_upload(request)
        form = aiohttp.FormData()
        for i, frame in enumerate(frames):
            form.add_field("frame", frame, filename=f"frame{i}.jpg", content_type="image/jpeg")
        form.add_field("challenge", challenge)
        form.add_field("terminal", f"sandbox-{gate.id}")
        status, payload = await self._forward(gate, "verify", form=form)
        return ok({"status": status, "decision": payload, "door": self._door(gate.id)})

    async def read_qr(self, request: web.Request) -> web.Response:
        """What a QR reader sees in a picture the bot sent (the visitor's phone screen)."""
        body = await read_json(request)
        stored = self.sandbox.emulator.core.world.files.get(str(body.get("file_id", "")))
        if stored is None:
            raise ApiError("unknown_file", 404)
        token = await asyncio.get_running_loop().run_in_executor(None, decode_qr, stored.data)
        if not token:
            raise ApiError("no_qr", 422)
        return ok({"token": token})

    async def event(self, request: web.Request) -> web.Response:
        gate = self._gate(request)
        body = await read_json(request)
        event = {"type": str(body.get("type", "")), "terminal": f"sandbox-{gate.id}"}
        if body.get("details"):
            event["details"] = str(body["details"])[:500]
        status, payload = await self._forward(gate, "events", event)
        return ok({"status": status, "result": payload})
