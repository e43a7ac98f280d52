"""What all routes of the control API share: JSON answers, errors, CORS, body helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.emulator.actions import UserActions
from bot.emulator.core import EmulatorCore
from bot.emulator.errors import BotAPIError, EmulatorError
from bot.emulator.render import bot_user_json, chat_json, member_json, topic_json, user_json
from bot.emulator.state import Chat, User

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PREFIX = "/_emulator"


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID",
}


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn user-side failures into JSON errors for /_emulator routes only."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    if request.method == "OPTIONS":
        # CORS preflight: a sandbox page may be served from another origin.
        return web.Response(status=204, headers=_CORS)
    try:
        return await handler(request)
    except EmulatorError as exc:
        status = 404 if str(exc).startswith("unknown") else 400
        return error(str(exc), status)
    except BotAPIError as exc:
        return error(exc.description)
    except (KeyError, ValueError, TypeError) as exc:
        return error(f"bad request: {exc.__class__.__name__}: {exc}")


async def add_cors(request: web.Request, response: web.StreamResponse) -> None:
    # A signal rather than the middleware so the SSE stream gets the header too.
    if request.path.startswith(PREFIX):
        response.headers.update(_CORS)


class ControlBase:
    """The emulator the routes act on, and the helpers they share."""

    def __init__(self, core: EmulatorCore, actions: UserActions) -> None:
        self.core = core
        self.actions = actions
        self._closing = asyncio.Event()

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        body = await request.json()
        if not isinstance(body, dict):
            raise EmulatorError("a JSON object is expected")
        return body

    def _chat(self, request: web.Request) -> Chat:
        chat_id = int(request.match_info["chat_id"])
        chat = self.core.world.chats.get(chat_id)
        if chat is None:
            raise EmulatorError(f"unknown chat {chat_id}")
        return chat

    @staticmethod
    def _sender(chat: Chat, body: dict[str, Any]) -> int:
        if body.get("from_user") is not None:
            return int(body["from_user"])
        if chat.type == "private":
            return chat.id
        raise EmulatorError("from_user is required in groups")

    @staticmethod
    def _opt_int(body: dict[str, Any], key: str) -> int | None:
        value = body.get(key)
        return int(value) if value not in (None, "") else None

    def _user_json(self, user: User) -> dict[str, Any]:
        return {
            **user_json(user),
            "started": user.started,
            "blocked_bot": user.blocked_bot,
            "deactivated": user.deactivated,
            "phone_number": user.phone_number,
        }

    def _group_json(self, chat: Chat) -> dict[str, Any]:
        members = []
        for member in chat.members.values():
            subject = (
                bot_user_json(self.core.bot)
                if member.user_id == self.core.bot.id
                else user_json(self.core.world.users[member.user_id])
            )
            members.append(member_json(subject, member))
        return {
            **chat_json(self.core.world, chat),
            "members": members,
            "topics": [{**topic_json(t), "closed": t.closed} for t in chat.topics.values()],
        }

    def _chat_summary(self, chat: Chat) -> dict[str, Any]:
        live = chat.live_messages()
        return {
            "chat": chat_json(self.core.world, chat),
            "message_count": len(live),
            "last_message": self.core.user_view(live[-1]) if live else None,
        }
