"""Shared machinery of the emulator: lookups, message creation, delivery.

`EmulatorCore` owns the `World` and the plumbing around it (update queue,
event bus, file store, flood control (`options.py`), pending answers). Bot API methods
(`methods/`) and user-side actions (`actions/`) are thin layers on top, so
the rules that both sides must agree on — who may post where, which thread a
message lands in, what the bot gets as an update — live in one place.

All state changes are synchronous: a handler never awaits between reading and
writing the world, so no locking is needed on the single event loop.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import (
    BotAPIError,
    EmulatorError,
    bad_request,
    forbidden,
)
from bot.emulator.events import EventBus
from bot.emulator.media import FileStore
from bot.emulator.options import EmulatorOptions, FloodControl
from bot.emulator.render import (
    bot_user_json,
    chat_json,
    member_json,
    message_json,
    sender_json,
    user_json,
)
from bot.emulator.state import (
    GENERAL_TOPIC_ID,
    AdminRights,
    BotIdentity,
    Chat,
    Member,
    Message,
    User,
    World,
    now,
)
from bot.emulator.updates import UpdateQueue


@dataclass
class ApiCall:
    """One Bot API call as the bot made it, for assertions and debugging."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    time: float = field(default_factory=time.time)


class EmulatorCore:
    """The world plus everything needed to change it consistently."""

    def __init__(
        self,
        bot: BotIdentity,
        options: EmulatorOptions,
        first_update_id: int = 1,
        *,
        bot_id_fixed: bool = True,
    ) -> None:
        self.world = World(bot=bot)
        # When the bot id was not configured, the first token the bot uses
        # decides it, so aiogram's ``bot.id`` (parsed from the token) matches getMe.
        self.bot_id_fixed = bot_id_fixed
        self.options = options
        self.events = EventBus()
        self.updates = UpdateQueue(self.events, self.world.webhook, first_update_id)
        self.files = FileStore(self.world)
        self.flood = FloodControl()
        self.calls: list[ApiCall] = []
        # Futures resolved by answerCallbackQuery / answerPreCheckoutQuery.
        self.answer_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def adopt_bot_id(self, bot_id: int) -> None:
        """Take the bot id from the token on first use, re-keying the bot's memberships."""
        if self.bot_id_fixed:
            return
        self.bot_id_fixed = True
        old = self.bot.id
        if bot_id == old:
            return
        self.bot.id = bot_id
        for chat in self.world.chats.values():
            member = chat.members.pop(old, None)
            if member is not None:
                member.user_id = bot_id
                chat.members[bot_id] = member
            for msg in chat.messages.values():
                if msg.from_id == old:
                    msg.from_id = bot_id
            for topic in chat.topics.values():
                if topic.created_by == old:
                    topic.created_by = bot_id

    # ------------------------------------------------------------------ lookups

    @property
    def bot(self) -> BotIdentity:
        return self.world.bot

    def user(self, user_id: int) -> User:
        """A known user (test side: unknown ids are a test bug)."""
        user = self.world.users.get(user_id)
        if user is None:
            raise EmulatorError(f"unknown user {user_id}; create it with emu.user() first")
        return user

    def chat(self, chat_id: int) -> Chat:
        """A known chat (test side)."""
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise EmulatorError(f"unknown chat {chat_id}")
        return chat

    def chat_for_bot(self, chat_id: int | str) -> Chat:
        """Resolve a chat_id parameter as Telegram would for this bot."""
        chat = self.world.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def message_for_bot(self, chat: Chat, message_id: int) -> Message | None:
        msg = chat.messages.get(message_id)
        return msg if msg and not msg.deleted else None

    def member(self, chat: Chat, user_id: int) -> Member | None:
        return chat.members.get(user_id)

    def bot_member(self, chat: Chat) -> Member | None:
        return chat.members.get(self.bot.id)

    def bot_rights(self, chat: Chat) -> AdminRights | None:
        """The bot's admin rights in a group; None when it is not an admin."""
        member = self.bot_member(chat)
        if member is None:
            return None
        if member.status == "creator":
            return AdminRights()
        return member.rights if member.status == "administrator" else None

    def bot_is_admin(self, chat: Chat) -> bool:
        return self.bot_rights(chat) is not None

    # ------------------------------------------------------------- user & chats

    def add_user(self, user: User) -> User:
        existing = self.world.users.get(user.id)
        if existing is not None:
            return existing
        self.world.users[user.id] = user
        self.world.chats[user.id] = Chat(id=user.id, type="private")
        self.events.emit("user_created", user.id, user=user_json(user))
        return user

    def add_group(self, chat: Chat) -> Chat:
        existing = self.world.chats.get(chat.id)
        if existing is not None:
            return existing
        self.world.chats[chat.id] = chat
        self.events.emit("group_created", chat.id, chat=chat_json(self.world, chat))
        return chat

    # ------------------------------------------------------------ bot-side rules

    def check_bot_can_send(self, chat: Chat) -> None:
        """403s that Telegram answers before looking at the message itself."""
        if chat.type == "private":
            user = self.world.users[chat.id]
            if user.deactivated:
                raise forbidden("user is deactivated")
            if user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        member = self.bot_member(chat)
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if member is not None and member.status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if member is None or not member.is_present:
            raise forbidden(f"bot is not a member of the {kind}")

    def check_flood(self, chat: Chat, count: int = 1) -> None:
        self.flood.check(chat, self.options.flood_limits, count)

    def record_send(self, chat: Chat) -> None:
        # Only counted while limits are on, so a test enabling them mid-way
        # starts from a clean window.
        if self.options.flood_limits is not None:
            self.flood.record(chat)

    def resolve_thread(
        self,
        chat: Chat,
        thread_id: int | None,
        reply_to: Message | None,
        *,
        sender_is_admin: bool,
    ) -> tuple[int | None, bool]:
        """Return (message_thread_id, is_topic_message) for a new message.

        A reply lands in the thread of the message it replies to; General
        (thread 1 or none) carries no thread id; posting into a closed topic
        needs admin rights, as in Telegram.
        """
        if thread_id is None and reply_to is not None:
            thread_id = reply_to.thread_id
        if thread_id is None or (chat.is_forum and thread_id == GENERAL_TOPIC_ID):
            return None, False
        if not chat.is_forum:
            raise bad_request("message thread not found")
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        if topic.closed and not sender_is_admin:
            raise bad_request("TOPIC_CLOSED")
        return thread_id, True

    def reply_target(
        self, chat: Chat, message_id: int | None, allow_without_reply: bool
    ) -> Message | None:
        if message_id is None:
            return None
        target = self.message_for_bot(chat, message_id)
        if target is None and not allow_without_reply:
            raise bad_request("message to be replied not found")
        return target

    # -------------------------------------------------------- message creation

    def new_message(
        self,
        chat: Chat,
        from_id: int | None,
        *,
        thread_id: int | None = None,
        is_topic_message: bool = False,
        **fields: Any,
    ) -> Message:
        """Create and store a message with the next id of the chat."""
        msg = Message(
            chat_id=chat.id,
            message_id=chat.new_message_id(),
            date=now(),
            from_id=from_id,
            thread_id=thread_id,
            is_topic_message=is_topic_message,
            **fields,
        )
        chat.messages[msg.message_id] = msg
        return msg

    def bot_view(self, msg: Message) -> dict[str, Any]:
        return message_json(self.world, msg, audience="bot")

    def user_view(self, msg: Message) -> dict[str, Any]:
        return message_json(self.world, msg, audience="user")

    def publish_bot_message(self, msg: Message) -> dict[str, Any]:
        """Record a message the bot sent: reply-keyboard state, event; returns bot JSON."""
        chat = self.world.chats[msg.chat_id]
        markup = msg.reply_markup or {}
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self.events.emit("message", chat.id, by="bot", message=self.user_view(msg))
        return self.bot_view(msg)

    def publish_user_message(self, msg: Message, *, service: bool = False) -> dict[str, Any]:
        """Record a message a user sent and hand it to the bot if it may see it."""
        chat = self.world.chats[msg.chat_id]
        if self.bot_sees(chat, msg, service=service):
            self.updates.put("message", self.bot_view(msg))
        view = self.user_view(msg)
        self.events.emit("message", chat.id, by="user", message=view)
        return view

    def bot_sees(self, chat: Chat, msg: Message, *, service: bool = False) -> bool:
        """Whether Telegram would deliver this user message to the bot."""
        if chat.type == "private":
            return True
        member = self.bot_member(chat)
        if member is None or not member.is_present:
            return False
        if service or not self.options.privacy_mode or self.bot_is_admin(chat):
            return True
        text = msg.text or msg.caption or ""
        if text.startswith("/"):
            return True
        if msg.reply_to is not None:
            target = chat.messages.get(msg.reply_to)
            return target is not None and target.from_id == self.bot.id
        return False

    def emit_edit(self, msg: Message, by: str) -> None:
        self.events.emit("message_edited", msg.chat_id, by=by, message=self.user_view(msg))

    def delete_message(self, msg: Message, by: str) -> None:
        msg.deleted = True
        chat = self.world.chats[msg.chat_id]
        if msg.message_id in chat.pinned:
            chat.pinned.remove(msg.message_id)
        self.events.emit("message_deleted", msg.chat_id, by=by, message_id=msg.message_id)

    # ------------------------------------------------------------- membership

    def member_update(
        self,
        chat: Chat,
        actor_id: int,
        subject: dict[str, Any],
        old: Member | None,
        new: Member | None,
        *,
        kind: str,
    ) -> None:
        """Queue a my_chat_member / chat_member update describing a status change."""
        self.updates.put(
            kind,
            {
                "chat": chat_json(self.world, chat),
                "from": sender_json(self.world, actor_id),
                "date": now(),
                "old_chat_member": member_json(subject, old),
                "new_chat_member": member_json(subject, new),
            },
        )

    def bot_subject(self) -> dict[str, Any]:
        return bot_user_json(self.bot)

    def delivery_hint(self) -> str:
        """Why the bot may not be reacting, for timeout messages."""
        pending = self.updates.undelivered_count
        if not pending:
            return ""
        where = "webhook" if self.world.webhook.url else "getUpdates"
        return f" ({pending} update(s) not yet fetched via {where}: is the bot running?)"

    # ------------------------------------------------------------------ answers

    def expect_answer(self, query_id: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.answer_waiters[query_id] = future
        return future

    def resolve_answer(self, query_id: str, answer: dict[str, Any]) -> None:
        future = self.answer_waiters.pop(query_id, None)
        if future is not None and not future.done():
            future.set_result(answer)

    def record_call(self, method: str, params: dict[str, Any], error: BotAPIError | None) -> None:
        call = ApiCall(
            method=method,
            params=params,
            ok=error is None,
            error_code=error.error_code if error else None,
            description=error.description if error else None,
        )
        self.calls.append(call)
        self.events.emit(
            "api_call",
            None,
            method=method,
            params=params,
            ok=call.ok,
            error_code=call.error_code,
            description=call.description,
        )
