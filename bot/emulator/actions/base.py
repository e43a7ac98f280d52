"""What every user-side action needs: the sender's right to act, the message, the post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import BotAPIError, EmulatorError
from bot.emulator.state import Chat, Message, User


class EmulatorTimeout(EmulatorError, TimeoutError):
    """The bot did not react in time (no callback answer, no expected message)."""


@dataclass
class DocumentUpload:
    """A file a user sends as a document."""

    data: bytes
    filename: str = "file.bin"
    mime_type: str | None = None


class ActionBase:
    """The emulator core and the checks shared by all actions."""

    def __init__(self, core: EmulatorCore) -> None:
        self.core = core

    def _sender(self, chat: Chat, user_id: int) -> User:
        user = self.core.user(user_id)
        if user.deactivated:
            raise EmulatorError(f"user {user_id} deleted their account")
        if chat.type == "private":
            if chat.id != user_id:
                raise EmulatorError(f"user {user_id} cannot write in {chat.id}'s private chat")
            if user.blocked_bot:
                raise EmulatorError(f"user {user_id} has blocked the bot; unblock it first")
            user.started = True
            return user
        member = chat.members.get(user_id)
        if member is None or not member.is_present:
            raise EmulatorError(
                f"user {user_id} is not a member of {chat.id}; call group.add_member() first"
            )
        return user

    def _message(self, chat: Chat, message_id: int) -> Message:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise EmulatorError(f"message {message_id} not found in chat {chat.id}")
        return msg

    def _placement(
        self, chat: Chat, user: User, thread_id: int | None, reply_to: int | None
    ) -> tuple[int | None, bool, int | None]:
        target = self._message(chat, reply_to) if reply_to is not None else None
        member = chat.members.get(user.id)
        try:
            thread, is_topic = self.core.resolve_thread(
                chat, thread_id, target, sender_is_admin=bool(member and member.is_admin)
            )
        except BotAPIError as exc:
            raise EmulatorError(exc.description) from exc
        return thread, is_topic, reply_to

    def _post(
        self,
        chat_id: int,
        user_id: int,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        is_service: bool = False,
        **content: Any,
    ) -> dict[str, Any]:
        chat = self.core.chat(chat_id)
        user = self._sender(chat, user_id)
        thread, is_topic, reply = self._placement(chat, user, thread_id, reply_to)
        msg = self.core.new_message(
            chat, user.id, thread_id=thread, is_topic_message=is_topic, reply_to=reply, **content
        )
        return self.core.publish_user_message(msg, service=is_service)
