"""User-side HTTP API under ``/_emulator/`` plus a Server-Sent Events stream.

This is what a browser sandbox page is built on: list chats/users/groups, read
histories, act as any user (text, photo/document upload, contact, location,
button presses, payments), and follow everything live through
``GET /_emulator/events``. Every JSON answer is ``{"ok": true, "result": ...}``
or ``{"ok": false, "error": "..."}`` (400 for impossible actions, 404 for
unknown chats/files).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.emulator.actions import DocumentUpload, UserActions
from bot.emulator.core import EmulatorCore
from bot.emulator.errors import BotAPIError, EmulatorError
from bot.emulator.events import Event
from bot.emulator.methods.meta import effective_commands
from bot.emulator.options import FloodLimits
from bot.emulator.params import Params, Upload
from bot.emulator.render import bot_user_json, chat_json, member_json, topic_json, user_json
from bot.emulator.state import Chat, User

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PREFIX = "/_emulator"
SSE_KEEPALIVE = 15.0


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID",
}


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
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
        return _error(str(exc), status)
    except BotAPIError as exc:
        return _error(exc.description)
    except (KeyError, ValueError, TypeError) as exc:
        return _error(f"bad request: {exc.__class__.__name__}: {exc}")


async def _add_cors(request: web.Request, response: web.StreamResponse) -> None:
    # A signal rather than the middleware so the SSE stream gets the header too.
    if request.path.startswith(PREFIX):
        response.headers.update(_CORS)


class ControlAPI:
    """Routes of the user-side control API."""

    def __init__(self, core: EmulatorCore, actions: UserActions) -> None:
        self.core = core
        self.actions = actions
        self._closing = asyncio.Event()

    def setup(self, app: web.Application) -> None:
        app.middlewares.append(_errors)
        app.on_response_prepare.append(_add_cors)
        r = app.router
        p = PREFIX
        r.add_get(f"{p}/info", self.info)
        r.add_get(f"{p}/users", self.list_users)
        r.add_post(f"{p}/users", self.create_user)
        r.add_post(f"{p}/users/{{user_id}}/{{action:block|unblock|delete}}", self.user_action)
        r.add_post(f"{p}/users/{{user_id}}/pay-link", self.pay_link)
        r.add_get(f"{p}/groups", self.list_groups)
        r.add_post(f"{p}/groups", self.create_group)
        r.add_post(f"{p}/groups/{{chat_id}}/members", self.add_member)
        r.add_post(f"{p}/groups/{{chat_id}}/join", self.join)
        r.add_post(f"{p}/groups/{{chat_id}}/leave", self.leave)
        r.add_post(f"{p}/groups/{{chat_id}}/topics", self.create_topic)
        r.add_post(f"{p}/groups/{{chat_id}}/bot", self.set_bot)
        r.add_get(f"{p}/chats", self.list_chats)
        r.add_get(f"{p}/chats/{{chat_id}}", self.chat_info)
        r.add_get(f"{p}/chats/{{chat_id}}/messages", self.history)
        r.add_post(f"{p}/chats/{{chat_id}}/messages", self.send_text)
        r.add_post(f"{p}/chats/{{chat_id}}/messages/{{message_id}}/edit", self.edit)
        r.add_post(f"{p}/chats/{{chat_id}}/messages/{{message_id}}/delete", self.delete)
        r.add_post(f"{p}/chats/{{chat_id}}/photo", self.send_photo)
        r.add_post(f"{p}/chats/{{chat_id}}/document", self.send_document)
        r.add_post(f"{p}/chats/{{chat_id}}/album", self.send_album)
        r.add_post(f"{p}/chats/{{chat_id}}/contact", self.send_contact)
        r.add_post(f"{p}/chats/{{chat_id}}/location", self.send_location)
        r.add_post(f"{p}/chats/{{chat_id}}/press", self.press)
        r.add_post(f"{p}/chats/{{chat_id}}/key", self.press_key)
        r.add_post(f"{p}/chats/{{chat_id}}/pay", self.pay)
        r.add_get(f"{p}/chats/{{chat_id}}/commands", self.commands)
        r.add_post(f"{p}/updates", self.inject)
        r.add_get(f"{p}/updates/pending", self.pending)
        r.add_get(f"{p}/calls", self.calls)
        r.add_get(f"{p}/files/{{file_id}}", self.file)
        r.add_post(f"{p}/settings", self.settings)
        r.add_get(f"{p}/events", self.events)
        r.add_get(f"{p}/events/log", self.event_log)

    def shutdown(self) -> None:
        """End open event streams so the server can stop promptly."""
        self._closing.set()

    # -------------------------------------------------------------- helpers

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

    # ------------------------------------------------------------ overview

    async def info(self, request: web.Request) -> web.Response:
        webhook = self.core.world.webhook
        limits = self.core.options.flood_limits
        return _ok(
            {
                "bot": bot_user_json(self.core.bot, get_me=True),
                "webhook": {"url": webhook.url, "has_secret": bool(webhook.secret_token)},
                "pending_updates": self.core.updates.pending_count,
                "privacy_mode": self.core.options.privacy_mode,
                "flood_limits": asdict(limits) if limits else None,
                "last_event_seq": self.core.events.last_seq,
            }
        )

    async def list_users(self, request: web.Request) -> web.Response:
        return _ok([self._user_json(u) for u in self.core.world.users.values()])

    async def create_user(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self.core.add_user(
            User(
                id=int(body["id"]),
                first_name=str(body.get("first_name") or f"User {body['id']}"),
                last_name=body.get("last_name"),
                username=body.get("username"),
                language_code=body.get("language_code", "en"),
                started=bool(body.get("started", True)),
                phone_number=body.get("phone_number"),
            )
        )
        return _ok(self._user_json(user))

    async def user_action(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        action = request.match_info["action"]
        if action == "block":
            self.actions.block_bot(user_id)
        elif action == "unblock":
            self.actions.unblock_bot(user_id)
        else:
            self.actions.delete_account(user_id)
        return _ok(self._user_json(self.core.user(user_id)))

    async def list_groups(self, request: web.Request) -> web.Response:
        groups = [c for c in self.core.world.chats.values() if c.is_group]
        return _ok([self._group_json(c) for c in groups])

    async def create_group(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        from bot.emulator.emulator import build_group

        chat = build_group(
            self.core,
            self.actions,
            int(body["id"]),
            str(body.get("title") or "Group"),
            is_forum=bool(body.get("is_forum", False)),
            bot_is_admin=bool(body.get("bot_is_admin", True)),
            bot_rights=body.get("bot_rights"),
            bot_member=bool(body.get("bot_member", True)),
        )
        return _ok(self._group_json(chat))

    async def add_member(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        user_id = int(body["user_id"])
        if user_id not in self.core.world.users:
            self.core.add_user(
                User(
                    user_id,
                    str(body.get("first_name") or f"User {user_id}"),
                    body.get("last_name"),
                    body.get("username"),
                    body.get("language_code", "en"),
                    started=False,
                )
            )
        self.actions.add_member(
            chat.id,
            user_id,
            body.get("status", "member"),
            body.get("rights"),
            body.get("custom_title"),
        )
        return _ok(self._group_json(chat))

    async def join(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return _ok(self.actions.join(chat.id, int(body["user_id"]), body.get("invite_link")))

    async def leave(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return _ok(self.actions.leave(chat.id, int(body["user_id"])))

    async def create_topic(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return _ok(self.actions.create_topic(chat.id, self._sender(chat, body), str(body["name"])))

    async def set_bot(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        self.actions.set_bot_membership(
            chat.id, body.get("status", "administrator"), body.get("rights")
        )
        return _ok(self._group_json(chat))

    async def list_chats(self, request: web.Request) -> web.Response:
        return _ok([self._chat_summary(c) for c in self.core.world.chats.values()])

    async def chat_info(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        data: dict[str, Any] = {
            "chat": chat_json(self.core.world, chat),
            "reply_keyboard": chat.reply_keyboard,
            "pinned": chat.pinned,
            "menu_button": chat.menu_button or self.core.world.default_menu_button,
        }
        if chat.is_group:
            data.update(self._group_json(chat))
        else:
            data["user"] = self._user_json(self.core.world.users[chat.id])
        return _ok(data)

    async def history(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        query = request.query
        messages = chat.live_messages()
        if "thread_id" in query:
            thread = int(query["thread_id"])
            messages = [m for m in messages if (m.thread_id or 1) == thread]
        if "after" in query:
            messages = [m for m in messages if m.message_id > int(query["after"])]
        limit = int(query.get("limit", 200))
        return _ok([self.core.user_view(m) for m in messages[-limit:]])

    async def commands(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        user_id = int(request.query.get("user_id", chat.id))
        user = self.core.world.users.get(user_id)
        language = request.query.get("language_code") or (user.language_code if user else None)
        return _ok(
            {
                "commands": effective_commands(self.core, chat, user_id, language),
                "menu_button": chat.menu_button or self.core.world.default_menu_button,
            }
        )

    # ------------------------------------------------------------- acting

    async def send_text(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return _ok(
            self.actions.send_text(
                chat.id,
                self._sender(chat, body),
                str(body.get("text", "")),
                thread_id=self._opt_int(body, "thread_id"),
                reply_to=self._opt_int(body, "reply_to"),
            )
        )

    async def _form(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        if request.content_type == "application/json":
            return await self._body(request), {}
        params = await Params.from_request(request)
        return params.values, params.uploads

    @staticmethod
    def _upload(uploads: dict[str, Upload], *names: str) -> Upload:
        for name in names:
            if name in uploads:
                return uploads[name]
        if uploads:
            return next(iter(uploads.values()))
        raise EmulatorError(f"a multipart file field ({' or '.join(names)}) is required")

    async def send_photo(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        values, uploads = await self._form(request)
        upload = self._upload(uploads, "photo", "file")
        return _ok(
            self.actions.send_photo(
                chat.id,
                self._sender(chat, values),
                upload.data,
                caption=values.get("caption"),
                thread_id=self._opt_int(values, "thread_id"),
                reply_to=self._opt_int(values, "reply_to"),
            )
        )

    async def send_album(self, request: web.Request) -> web.Response:
        """Several photos sent at once (multipart fields in order: photo0, photo1 …)."""
        chat = self._chat(request)
        values, uploads = await self._form(request)

        def position(name: str) -> tuple[int, str]:
            digits = "".join(ch for ch in name if ch.isdigit())
            return (int(digits) if digits else 0, name)

        photos = [uploads[name].data for name in sorted(uploads, key=position)]
        return _ok(
            self.actions.send_media_group(
                chat.id,
                self._sender(chat, values),
                photos,
                caption=values.get("caption"),
                thread_id=self._opt_int(values, "thread_id"),
            )
        )

    async def send_document(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        values, uploads = await self._form(request)
        upload = self._upload(uploads, "document", "file")
        document = DocumentUpload(upload.data, upload.filename or "file.bin", upload.content_type)
        return _ok(
            self.actions.send_document(
                chat.id,
                self._sender(chat, values),
                document,
                caption=values.get("caption"),
                thread_id=self._opt_int(values, "thread_id"),
                reply_to=self._opt_int(values, "reply_to"),
            )
        )

    async def send_contact(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return _ok(
            self.actions.send_contact(
                chat.id,
                self._sender(chat, body),
                phone=body.get("phone") or body.get("phone_number"),
                first_name=body.get("first_name"),
                last_name=body.get("last_name"),
                contact_user_id=self._opt_int(body, "user_id"),
                thread_id=self._opt_int(body, "thread_id"),
            )
        )

    async def send_location(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return _ok(
            self.actions.send_location(
                chat.id,
                self._sender(chat, body),
                float(body["latitude"]),
                float(body["longitude"]),
                thread_id=self._opt_int(body, "thread_id"),
            )
        )

    async def edit(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        message_id = int(request.match_info["message_id"])
        return _ok(
            self.actions.edit_text(
                chat.id, self._sender(chat, body), message_id, str(body.get("text", ""))
            )
        )

    async def delete(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        self.actions.delete(
            chat.id, self._sender(chat, body), int(request.match_info["message_id"])
        )
        return _ok(True)

    async def press(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        result = await self.actions.press(
            chat.id,
            self._sender(chat, body),
            int(body["message_id"]),
            body.get("text"),
            callback_data=body.get("callback_data"),
            wait=bool(body.get("wait", True)),
            timeout=float(body.get("timeout", 5.0)),
        )
        return _ok(result)

    async def press_key(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        location = None
        if body.get("latitude") is not None and body.get("longitude") is not None:
            location = (float(body["latitude"]), float(body["longitude"]))
        return _ok(
            self.actions.press_key(
                chat.id, self._sender(chat, body), str(body["text"]), location=location
            )
        )

    async def pay(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        outcome = await self.actions.pay(
            chat.id,
            self._sender(chat, body),
            int(body["message_id"]),
            timeout=float(body.get("timeout", 10.0)),
        )
        return _ok(outcome.to_json())

    async def pay_link(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        outcome = await self.actions.pay_link(
            int(request.match_info["user_id"]),
            str(body["link"]),
            timeout=float(body.get("timeout", 10.0)),
        )
        return _ok(outcome.to_json())

    # ------------------------------------------------------------ plumbing

    async def inject(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return _ok({"update_id": self.core.updates.inject(body)})

    async def pending(self, request: web.Request) -> web.Response:
        return _ok(self.core.updates.pending())

    async def calls(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", 100))
        return _ok([asdict(c) for c in self.core.calls[-limit:]])

    async def file(self, request: web.Request) -> web.Response:
        stored = self.core.world.files.get(request.match_info["file_id"])
        if stored is None:
            return _error("unknown file", 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def settings(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if "privacy_mode" in body:
            self.core.options.privacy_mode = bool(body["privacy_mode"])
        if "flood_limits" in body:
            value = body["flood_limits"]
            if isinstance(value, dict):
                self.core.options.flood_limits = FloodLimits(**value)
            else:
                self.core.options.flood_limits = FloodLimits() if value else None
        return await self.info(request)

    async def event_log(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        limit = int(request.query.get("limit", 500))
        events = list(self.core.events.since(since))[:limit]
        return _ok([e.to_json() for e in events])

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: replay from ``?since=`` / Last-Event-ID, then live."""
        start = request.query.get("since") or request.headers.get("Last-Event-ID")
        cursor = int(start) if start else self.core.events.last_seq
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        # Subscribe before replaying so nothing emitted in between is lost.
        queue = self.core.events.subscribe()
        try:
            for event in self.core.events.since(cursor):
                await response.write(_sse(event))
                cursor = event.seq
            await response.write(b": connected\n\n")
            while not self._closing.is_set():
                live = await _next_event(queue, self._closing)
                if live is None:
                    await response.write(b": keepalive\n\n")
                elif live.seq > cursor:
                    await response.write(_sse(live))
                    cursor = live.seq
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.core.events.unsubscribe(queue)
        return response


async def _next_event(queue: asyncio.Queue[Event], closing: asyncio.Event) -> Event | None:
    """Next queued event, or None on keepalive timeout / shutdown."""
    getter = asyncio.ensure_future(queue.get())
    stopper = asyncio.ensure_future(closing.wait())
    done, _ = await asyncio.wait(
        {getter, stopper}, timeout=SSE_KEEPALIVE, return_when=asyncio.FIRST_COMPLETED
    )
    for task in (getter, stopper):
        if task not in done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return getter.result() if getter in done else None


def _sse(event: Event) -> bytes:
    data = json.dumps(event.to_json(), ensure_ascii=False)
    return f"id: {event.seq}\ndata: {data}\n\n".encode()
