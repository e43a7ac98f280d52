"""The sandbox page and the little it needs besides the emulator's own user API.

Served on the emulator's port, next to the Bot API and ``/_emulator``:

- ``GET /`` and ``/static/…`` — the page (plain HTML, CSS and JavaScript);
- ``GET /sandbox/api/config`` — the bot, the community, its admin group and gates;
- ``GET /sandbox/api/people`` — who the page can act as, with what the bot
  knows about them (their units and roles, read from the database);
- ``POST /sandbox/api/people`` — a new person (a fresh Telegram account);
- ``GET /sandbox/api/invitations`` — the letterbox invitations kept for the demo;
- ``GET /sandbox/api/i18n/{locale}`` — the page's own strings, translated
  through the ``sandbox`` gettext domain;
- ``GET /sandbox/api/gates/{id}`` — the simulated door's state and the gate's
  recent access log;
- ``POST /sandbox/api/gates/{id}/verify`` and ``…/events`` — forwarded to the
  real gate terminal API with the gate's key (the page never sees the key);
- ``POST /sandbox/api/clock`` — move the sandbox's time forward.

Everything the chat panes show comes from the emulator (``/_emulator``), i.e.
from what the bot actually sent.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import aliased

from access.models import AccessLogEntry, Pass
from bot.emulator.state import User
from bot.sandbox.seed import NEW_USER_FIRST_ID, blueprint, cast
from bot.sandbox.strings import ui_strings
from core.identity import load_identity
from core.invitations import deep_link_payload
from core.models import Building, Community, Person, Unit
from core.movein_models import Invitation

if TYPE_CHECKING:
    from bot.sandbox.runtime import Sandbox

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
API = "/sandbox/api"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Where "share my location" points by default: the demo community in Pudong.
DEFAULT_LOCATION = {"latitude": 31.2304, "longitude": 121.5440}
MAX_NEW_PEOPLE = 200
GATE_TIMEOUT_S = 15.0
MAX_CLOCK_STEP_MIN = 7 * 24 * 60
MAX_FACE_BYTES = 4 * 1024 * 1024
MAX_FACE_PIXELS = 24_000_000


class ApiError(Exception):
    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def _ok(result: Any, status: int = 200) -> web.Response:
    return web.json_response({"ok": True, "result": result}, status=status)


@web.middleware
async def _api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
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


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ApiError("bad_request")
    return body


class SandboxWeb:
    """Routes of the page, bound to one running :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._http: aiohttp.ClientSession | None = None

    def setup(self, app: web.Application) -> None:
        app.middlewares.append(_api_errors)
        r = app.router
        r.add_get("/", self.index)
        r.add_get("/favicon.ico", self.favicon)
        r.add_static("/static/", STATIC_DIR, show_index=False, append_version=False)
        r.add_get(f"{API}/config", self.config)
        r.add_get(f"{API}/people", self.people)
        r.add_post(f"{API}/people", self.new_person)
        r.add_get(f"{API}/invitations", self.invitations)
        r.add_get(API + "/i18n/{locale}", self.i18n)
        r.add_get(API + "/gates/{gate_id}", self.gate_state)
        r.add_post(API + "/gates/{gate_id}/verify", self.gate_verify)
        r.add_post(API + "/gates/{gate_id}/face", self.gate_face)
        r.add_post(API + "/gates/{gate_id}/events", self.gate_event)
        r.add_post(f"{API}/qr", self.read_qr)
        r.add_post(f"{API}/clock", self.clock)
        app.on_cleanup.append(self._close)

    async def _close(self, _app: web.Application) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # --- the page -----------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        # Cache-busting per run: a restarted sandbox never runs yesterday's script.
        html = html.replace("{{version}}", self.sandbox.boot_id)
        return web.Response(
            text=html, content_type="text/html", headers={"Cache-Control": "no-cache"}
        )

    async def favicon(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC_DIR / "favicon.svg", headers={"Content-Type": "image/svg+xml"}
        )

    async def i18n(self, request: web.Request) -> web.Response:
        locale = request.match_info["locale"]
        if locale not in ("zh_Hans", "en"):
            raise ApiError("unknown_locale", 404)
        return _ok({"locale": locale, "strings": ui_strings(locale)})

    # --- what the page shows ------------------------------------------------------------

    async def config(self, request: web.Request) -> web.Response:
        sandbox = self.sandbox
        state = sandbox.state
        app = sandbox.require_app()
        assert state is not None
        async with app.ctx.session_factory() as session:
            community = await session.get(Community, state.community_id)
        if community is None:
            raise ApiError("no_community", 500)
        core = sandbox.emulator.core
        group = core.world.chats.get(state.admin_chat_id)
        return _ok(
            {
                "boot_id": sandbox.boot_id,
                "bot": {
                    "id": core.bot.id,
                    "username": core.bot.username,
                    "name": core.bot.first_name,
                },
                "community": {
                    "id": community.id,
                    "name": community.name,
                    "address": community.address,
                    "timezone": community.timezone,
                    "currency": community.currency,
                    "locale": community.locale,
                },
                "group": {
                    "id": state.admin_chat_id,
                    "title": group.title if group else "",
                },
                "gates": [{"id": g.id, "name": g.name, "kind": g.kind} for g in state.gates],
                "location": DEFAULT_LOCATION,
                "now": sandbox.clock.now().isoformat(),
                "clock_offset_s": int(sandbox.clock.offset.total_seconds()),
                "gate_api": sandbox.access_runtime() is not None,
                "last_event_seq": core.events.last_seq,
            }
        )

    async def people(self, request: web.Request) -> web.Response:
        return _ok(await self._people())

    async def _people(self) -> list[dict[str, Any]]:
        sandbox = self.sandbox
        state = sandbox.state
        assert state is not None
        app = sandbox.require_app()
        plan = blueprint(state.language)
        known = {m.telegram_id: m for m in cast(plan)}
        world = sandbox.emulator.core.world
        result: list[dict[str, Any]] = []
        async with app.ctx.session_factory() as session:
            for user in world.users.values():
                if user.is_bot or user.deactivated:
                    continue
                member = known.get(user.id)
                if member is None and user.id < NEW_USER_FIRST_ID:
                    continue  # someone a test or the CLI made: not part of the demo
                identity = await load_identity(session, user.id)
                staff_role = identity.staff_role_in(state.community_id)
                # What the person is now: a visitor or a new person may have moved in.
                if staff_role is not None:
                    kind = "staff"
                elif identity.units:
                    kind = "resident"
                elif member is not None and member.kind == "visitor":
                    kind = "visitor"
                else:
                    kind = "new"
                result.append(
                    {
                        "id": user.id,
                        "name": _display_name(user),
                        "language": "en"
                        if (user.language_code or "").startswith("en")
                        else "zh_Hans",
                        "kind": kind,
                        "staff_role": staff_role.value if staff_role else None,
                        "units": [
                            {"label": u.unit_label, "role": u.role.value} for u in identity.units
                        ],
                        "pending_units": [u.unit_label for u in identity.pending_units],
                        "phone": user.phone_number,
                        "started": user.started,
                    }
                )
        return result

    async def new_person(self, request: web.Request) -> web.Response:
        body = await _json(request)
        name = str(body.get("name") or "").strip()
        language = body.get("language")
        if not 1 <= len(name) <= 64:
            raise ApiError("bad_name")
        if language not in ("zh_Hans", "en"):
            raise ApiError("bad_language")
        core = self.sandbox.emulator.core
        taken = [uid for uid in core.world.users if uid >= NEW_USER_FIRST_ID]
        if len(taken) >= MAX_NEW_PEOPLE:
            raise ApiError("too_many_people")
        user_id = max(taken, default=NEW_USER_FIRST_ID - 1) + 1
        first, _, last = name.partition(" ") if language == "en" else (name, "", "")
        core.add_user(
            User(
                user_id,
                first,
                last or None,
                None,
                "zh-hans" if language == "zh_Hans" else "en",
                # A new person has never opened the bot: Telegram shows them "Start".
                started=False,
            )
        )
        people = await self._people()
        return _ok(next(p for p in people if p["id"] == user_id), status=201)

    async def invitations(self, request: web.Request) -> web.Response:
        sandbox = self.sandbox
        state = sandbox.state
        assert state is not None
        app = sandbox.require_app()
        ids = [i.invitation_id for i in state.invitations]
        async with app.ctx.session_factory() as session:
            rows = {
                inv.id: inv
                for inv in (
                    await session.scalars(select(Invitation).where(Invitation.id.in_(ids)))
                ).all()
            }
        now = sandbox.clock.now()
        result = []
        for kept in state.invitations:
            inv = rows.get(kept.invitation_id)
            if inv is None:
                continue
            if inv.revoked_at is not None:
                status = "revoked"
            elif inv.expires_at <= now:
                status = "expired"
            elif inv.uses >= inv.max_uses:
                status = "used_up"
            else:
                status = "usable"
            result.append(
                {
                    "unit": kept.unit,
                    "code": f"{kept.code[:5]}-{kept.code[5:]}",
                    "payload": deep_link_payload(kept.code),
                    "link": app.ctx.deep_link(deep_link_payload(kept.code)),
                    "uses": inv.uses,
                    "max_uses": inv.max_uses,
                    "status": status,
                }
            )
        return _ok(result)

    # --- the gate terminal ---------------------------------------------------------------

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

    async def gate_state(self, request: web.Request) -> web.Response:
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
        return _ok(
            {
                "gate": {"id": gate.id, "name": gate.name, "kind": gate.kind},
                "door": self._door(gate.id),
                "log": log_rows,
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
        url = f"http://127.0.0.1:{settings.gate_api_port}/v1/gates/{gate.id}/{path}"
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

    async def gate_verify(self, request: web.Request) -> web.Response:
        gate = self._gate(request)
        body = await _json(request)
        # The terminal names itself; the credential fields go through as the
        # page sent them (the gate API validates them and answers 4xx if wrong).
        body["terminal"] = f"sandbox-{gate.id}"
        status, payload = await self._forward(gate, "verify", body)
        return _ok({"status": status, "decision": payload, "door": self._door(gate.id)})

    async def gate_face(self, request: web.Request) -> web.Response:
        """A photo from the page's upload or webcam, shown to the gate's camera.

        A terminal's camera sends JPEG; an uploaded PNG is converted first.
        """
        gate = self._gate(request)
        image = await _image_upload(request)
        jpeg = await asyncio.get_running_loop().run_in_executor(None, as_jpeg, image)
        form = aiohttp.FormData()
        form.add_field("face", jpeg, filename="face.jpg", content_type="image/jpeg")
        form.add_field("terminal", f"sandbox-{gate.id}")
        status, payload = await self._forward(gate, "verify", form=form)
        return _ok({"status": status, "decision": payload, "door": self._door(gate.id)})

    async def read_qr(self, request: web.Request) -> web.Response:
        """What a QR reader sees in a picture the bot sent (the visitor's phone screen)."""
        body = await _json(request)
        stored = self.sandbox.emulator.core.world.files.get(str(body.get("file_id", "")))
        if stored is None:
            raise ApiError("unknown_file", 404)
        token = await asyncio.get_running_loop().run_in_executor(None, decode_qr, stored.data)
        if not token:
            raise ApiError("no_qr", 422)
        return _ok({"token": token})

    async def gate_event(self, request: web.Request) -> web.Response:
        gate = self._gate(request)
        body = await _json(request)
        event = {"type": str(body.get("type", "")), "terminal": f"sandbox-{gate.id}"}
        if body.get("details"):
            event["details"] = str(body["details"])[:500]
        status, payload = await self._forward(gate, "events", event)
        return _ok({"status": status, "result": payload})

    # --- time ------------------------------------------------------------------------------

    async def clock(self, request: web.Request) -> web.Response:
        body = await _json(request)
        minutes = int(body.get("minutes", 0))
        if not 1 <= minutes <= MAX_CLOCK_STEP_MIN:
            raise ApiError("bad_step")
        now = await self.sandbox.advance_clock(timedelta(minutes=minutes))
        return _ok(
            {
                "now": now.isoformat(),
                "clock_offset_s": int(self.sandbox.clock.offset.total_seconds()),
            }
        )


def as_jpeg(data: bytes) -> bytes:
    """The image as JPEG (unchanged when it already is one)."""
    if data.startswith(b"\xff\xd8\xff"):
        return data
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.width * image.height > MAX_FACE_PIXELS:
                raise ApiError("bad_image")
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=92)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ApiError("bad_image") from None
    return buffer.getvalue()


async def _image_upload(request: web.Request) -> bytes:
    if not request.content_type.startswith("multipart/"):
        raise ApiError("bad_image")
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, aiohttp.BodyPartReader) and part.filename is not None:
            data = bytes(await part.read())
            if not data or len(data) > MAX_FACE_BYTES:
                raise ApiError("bad_image")
            return data
    raise ApiError("bad_image")


def decode_qr(data: bytes) -> str | None:
    """The text of the QR code in an image, or None (OpenCV's detector)."""
    try:
        import cv2
        import numpy as np
    except ImportError:  # pragma: no cover - opencv comes with the face engine
        raise ApiError("qr_unavailable", 501) from None
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    bigger = None
    # OpenCV's classic detector misses about 3 in 1,000 of our passes' codes (it
    # depends on the random token's pattern); the ArUco-based one reads those.
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _points, _straight = detector.detectAndDecode(image)
        if not text:
            # A small QR in a big picture: try again enlarged.
            if bigger is None:
                bigger = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
            text, _points, _straight = detector.detectAndDecode(bigger)
        if text:
            return str(text)
    return None


def _language(user: User) -> str:
    return "en" if (user.language_code or "").lower().startswith("en") else "zh_Hans"


def _display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name
