"""The sandbox page and the little it needs besides the emulator's own user API.

Served on the emulator's port, next to the Bot API and ``/_emulator``:

- ``GET /`` and ``/static/…`` — the page (plain HTML, CSS and JavaScript);
- ``GET /sandbox/api/config`` — the bot, the community, its admin group and gates;
- ``GET /sandbox/api/people`` — who the page can act as, with what the bot
  knows about them (their units and roles, read from the database);
- ``POST /sandbox/api/people`` — a new person (a fresh Telegram account);
- ``GET /sandbox/api/invitations`` — the letterbox invitations kept for the demo;
- ``GET /sandbox/api/checkpoints`` — the patrol checkpoints and fire lanes with
  the payload of their printed QR (a guard's phone camera opens it);
- ``GET /sandbox/api/i18n/{locale}`` — the page's own strings, translated
  through the ``sandbox`` gettext domain;
- ``GET /sandbox/api/gates/{id}`` — the simulated door's state and the gate's
  recent access log;
- ``POST /sandbox/api/gates/{id}/call`` and ``GET …/calls/{call}`` — "Call the unit"
  and walk-ins, forwarded to the gate API, and their outcome;
- ``POST /sandbox/api/gates/{id}/verify`` and ``…/events`` — forwarded to the
  real gate terminal API with the gate's key (the page never sees the key);
- ``POST /sandbox/api/clock`` — move the sandbox's time forward.

The gate routes live in :mod:`bot.sandbox.gate_terminal`, the pictures they
handle in :mod:`bot.sandbox.images`. Everything the chat panes show comes from
the emulator (``/_emulator``), i.e. from what the bot actually sent.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select

from bot.emulator.state import User
from bot.sandbox.api import API, ApiError, api_errors, ok, read_json
from bot.sandbox.blueprint import NEW_USER_FIRST_ID, blueprint, cast
from bot.sandbox.gate_terminal import GateTerminal
from bot.sandbox.gate_walkin import GateIntercom
from bot.sandbox.images import decode_qr
from bot.sandbox.strings import ui_strings
from core.identity import load_identity
from core.invitations import deep_link_payload
from core.models import Community
from core.movein_models import Invitation
from core.patrols.checkpoints import community_checkpoints
from core.patrols.tokens import checkpoint_payload

if TYPE_CHECKING:
    from bot.sandbox.runtime import Sandbox

# Tests and the gate end-to-end tests read QR codes the way the page does.
__all__ = ["SandboxWeb", "decode_qr"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Where "share my location" points by default: the demo community in Pudong.
DEFAULT_LOCATION = {"latitude": 31.2304, "longitude": 121.5440}
MAX_NEW_PEOPLE = 200
MAX_CLOCK_STEP_MIN = 7 * 24 * 60


class SandboxWeb:
    """Routes of the page, bound to one running :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.gates = GateTerminal(sandbox)

    def setup(self, app: web.Application) -> None:
        app.middlewares.append(api_errors)
        r = app.router
        r.add_get("/", self.index)
        r.add_get("/favicon.ico", self.favicon)
        r.add_static("/static/", STATIC_DIR, show_index=False, append_version=False)
        r.add_get(f"{API}/config", self.config)
        r.add_get(f"{API}/people", self.people)
        r.add_post(f"{API}/people", self.new_person)
        r.add_get(f"{API}/invitations", self.invitations)
        r.add_get(f"{API}/checkpoints", self.checkpoints)
        r.add_get(API + "/i18n/{locale}", self.i18n)
        r.add_get(API + "/gates/{gate_id}", self.gates.state)
        r.add_post(API + "/gates/{gate_id}/verify", self.gates.verify)
        r.add_post(API + "/gates/{gate_id}/face", self.gates.face)
        r.add_post(API + "/gates/{gate_id}/challenge", self.gates.challenge)
        r.add_post(API + "/gates/{gate_id}/face-burst", self.gates.face_burst)
        r.add_post(API + "/gates/{gate_id}/events", self.gates.event)
        intercom = GateIntercom(self.gates)  # "Call the unit" (bot/sandbox/gate_walkin.py)
        r.add_post(API + "/gates/{gate_id}/call", intercom.ring)
        r.add_get(API + "/gates/{gate_id}/calls/{call_id}", intercom.poll)
        r.add_post(f"{API}/qr", self.gates.read_qr)
        r.add_post(f"{API}/gate-agent", self.gates.agent.toggle)
        r.add_post(f"{API}/clock", self.clock)
        app.on_cleanup.append(self.gates.close)
        app.on_cleanup.append(self.gates.agent.close)

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
        return ok({"locale": locale, "strings": ui_strings(locale)})

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
        return ok(
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
        return ok(await self._people())

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
        body = await read_json(request)
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
        return ok(next(p for p in people if p["id"] == user_id), status=201)

    async def checkpoints(self, request: web.Request) -> web.Response:
        """What the printed sheet's QR codes say: scanning one is ``/start <payload>``."""
        state = self.sandbox.state
        assert state is not None
        ctx = self.sandbox.require_app().ctx
        async with ctx.session_factory() as session:
            rows = await community_checkpoints(session, state.community_id)
        return ok(
            [
                {
                    "id": row.id,
                    "name": row.name,
                    "kind": row.kind.value,
                    "payload": checkpoint_payload(ctx.secret_key, row.id, row.salt),
                }
                for row in rows
            ]
        )

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
        return ok(result)

    # --- time ------------------------------------------------------------------------------

    async def clock(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        minutes = int(body.get("minutes", 0))
        if not 1 <= minutes <= MAX_CLOCK_STEP_MIN:
            raise ApiError("bad_step")
        now = await self.sandbox.advance_clock(timedelta(minutes=minutes))
        return ok(
            {
                "now": now.isoformat(),
                "clock_offset_s": int(self.sandbox.clock.offset.total_seconds()),
            }
        )


def _display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name
