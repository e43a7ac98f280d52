"""Overview and set-up routes: the bot, users, groups, chats, histories, settings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.emulator.control.common import ControlBase, ok
from bot.emulator.methods.meta import effective_commands
from bot.emulator.options import FloodLimits
from bot.emulator.render import bot_user_json, chat_json
from bot.emulator.state import User


class WorldRoutes(ControlBase):
    """Reading the emulated world and setting it up: users, groups, members, topics."""

    async def info(self, request: web.Request) -> web.Response:
        webhook = self.core.world.webhook
        limits = self.core.options.flood_limits
        return ok(
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
        return ok([self._user_json(u) for u in self.core.world.users.values()])

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
        return ok(self._user_json(user))

    async def user_action(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        action = request.match_info["action"]
        if action == "block":
            self.actions.block_bot(user_id)
        elif action == "unblock":
            self.actions.unblock_bot(user_id)
        else:
            self.actions.delete_account(user_id)
        return ok(self._user_json(self.core.user(user_id)))

    async def list_groups(self, request: web.Request) -> web.Response:
        groups = [c for c in self.core.world.chats.values() if c.is_group]
        return ok([self._group_json(c) for c in groups])

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
        return ok(self._group_json(chat))

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
        return ok(self._group_json(chat))

    async def join(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return ok(self.actions.join(chat.id, int(body["user_id"]), body.get("invite_link")))

    async def leave(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return ok(self.actions.leave(chat.id, int(body["user_id"])))

    async def create_topic(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return ok(self.actions.create_topic(chat.id, self._sender(chat, body), str(body["name"])))

    async def set_bot(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        self.actions.set_bot_membership(
            chat.id, body.get("status", "administrator"), body.get("rights")
        )
        return ok(self._group_json(chat))

    async def list_chats(self, request: web.Request) -> web.Response:
        return ok([self._chat_summary(c) for c in self.core.world.chats.values()])

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
        return ok(data)

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
        return ok([self.core.user_view(m) for m in messages[-limit:]])

    async def commands(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        user_id = int(request.query.get("user_id", chat.id))
        user = self.core.world.users.get(user_id)
        language = request.query.get("language_code") or (user.language_code if user else None)
        return ok(
            {
                "commands": effective_commands(self.core, chat, user_id, language),
                "menu_button": chat.menu_button or self.core.world.default_menu_button,
            }
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
