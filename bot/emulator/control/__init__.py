"""User-side HTTP API under ``/_emulator/`` plus a Server-Sent Events stream.

This is what a browser sandbox page is built on: list chats/users/groups, read
histories, act as any user (text, photo/document upload, contact, location,
button presses, payments), and follow everything live through
``GET /_emulator/events``. Every JSON answer is ``{"ok": true, "result": ...}``
or ``{"ok": false, "error": "..."}`` (400 for impossible actions, 404 for
unknown chats/files).
"""

from __future__ import annotations

from aiohttp import web

from bot.emulator.control.acting import ActingRoutes
from bot.emulator.control.common import PREFIX, add_cors, json_errors
from bot.emulator.control.stream import StreamRoutes
from bot.emulator.control.world import WorldRoutes


class ControlAPI(WorldRoutes, ActingRoutes, StreamRoutes):
    """Routes of the user-side control API."""

    def setup(self, app: web.Application) -> None:
        app.middlewares.append(json_errors)
        app.on_response_prepare.append(add_cors)
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


__all__ = ["PREFIX", "ControlAPI"]
