"""In-process Python API for tests: act as users, wait for the bot's answers.

`UserHandle` is a person in their private chat with the bot; `GroupHandle` is a
(super)group where several members act. Both read their chat through
`ChatHandle` (`reading.py`: message dicts and the consuming `expect()`).
"""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

from typing import Any

from bot.emulator.actions import DocumentUpload, PaymentOutcome
from bot.emulator.errors import EmulatorError
from bot.emulator.methods.meta import effective_commands
from bot.emulator.reading import (
    ChatHandle,
    Criteria,
    MessageDict,
    MessageRef,
    button_texts,
    message_id_of,
    message_text,
)
from bot.emulator.state import Member, MemberStatus, Topic, User

__all__ = [
    "ChatHandle",
    "Criteria",
    "GroupHandle",
    "MessageDict",
    "MessageRef",
    "UserHandle",
    "button_texts",
    "message_id_of",
    "message_text",
]


class UserHandle(ChatHandle):
    """A person and their private chat with the bot."""

    @property
    def user(self) -> User:
        return self._core.user(self.id)

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The bot command menu this user sees in the private chat."""
        return effective_commands(self._core, self.chat, self.id, self.user.language_code)

    async def send(self, text: str, *, reply_to: MessageRef | None = None) -> MessageDict:
        reply = message_id_of(reply_to) if reply_to is not None else None
        return self._actions.send_text(self.id, self.id, text, reply_to=reply)

    async def reply(self, msg: MessageRef, text: str) -> MessageDict:
        return await self.send(text, reply_to=msg)

    async def send_photo(
        self, data: bytes, caption: str | None = None, *, reply_to: MessageRef | None = None
    ) -> MessageDict:
        reply = message_id_of(reply_to) if reply_to is not None else None
        return self._actions.send_photo(self.id, self.id, data, caption=caption, reply_to=reply)

    async def send_document(
        self,
        data: bytes,
        filename: str = "file.bin",
        mime: str | None = None,
        caption: str | None = None,
    ) -> MessageDict:
        return self._actions.send_document(
            self.id, self.id, DocumentUpload(data, filename, mime), caption=caption
        )

    async def send_media_group(
        self, photos: list[bytes], caption: str | None = None
    ) -> list[MessageDict]:
        return self._actions.send_media_group(self.id, self.id, photos, caption=caption)

    async def send_contact(
        self,
        phone: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> MessageDict:
        """Share a contact: by default the user's own (user_id = own id)."""
        return self._actions.send_contact(
            self.id,
            self.id,
            phone=phone,
            first_name=first_name,
            last_name=last_name,
            contact_user_id=user_id,
        )

    async def send_location(self, latitude: float, longitude: float) -> MessageDict:
        return self._actions.send_location(self.id, self.id, latitude, longitude)

    async def edit(self, msg: MessageRef, text: str) -> MessageDict:
        return self._actions.edit_text(self.id, self.id, message_id_of(msg), text)

    async def delete(self, msg: MessageRef) -> None:
        self._actions.delete(self.id, self.id, message_id_of(msg))

    async def press(
        self,
        msg: MessageRef,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        wait: bool = True,
        timeout: float = 5.0,
        stale: bool = False,
    ) -> dict[str, Any] | None:
        """Press a button; for callback buttons returns the bot's answer. A ``stale``
        press arrives too late to be answered (Telegram says "query is too old")."""
        return await self._actions.press(
            self.id,
            self.id,
            message_id_of(msg),
            text,
            callback_data=callback_data,
            wait=wait,
            timeout=timeout,
            stale=stale,
        )

    async def press_key(
        self, text: str, *, location: tuple[float, float] | None = None
    ) -> MessageDict:
        """Tap a button of the reply keyboard shown in the chat."""
        return self._actions.press_key(self.id, self.id, text, location=location)

    async def pay(self, invoice_msg: MessageRef, *, timeout: float = 10.0) -> PaymentOutcome:
        return await self._actions.pay(
            self.id, self.id, message_id_of(invoice_msg), timeout=timeout
        )

    async def pay_link(self, link: str, *, timeout: float = 10.0) -> PaymentOutcome:
        return await self._actions.pay_link(self.id, link, timeout=timeout)

    def block_bot(self) -> None:
        self._actions.block_bot(self.id)

    def unblock_bot(self) -> None:
        self._actions.unblock_bot(self.id)

    def delete_account(self) -> None:
        self._actions.delete_account(self.id)

    async def join(self, group: GroupHandle | int, invite_link: str | None = None) -> MessageDict:
        chat_id = group.id if isinstance(group, GroupHandle) else group
        return self._actions.join(chat_id, self.id, invite_link)


class GroupHandle(ChatHandle):
    """A group or supergroup (optionally a forum) with several acting members."""

    @property
    def topics(self) -> dict[int, Topic]:
        """Forum topics by message_thread_id (name, closed, icon...)."""
        return dict(self.chat.topics)

    def topic(self, name: str) -> Topic:
        for topic in self.chat.topics.values():
            if topic.name == name:
                return topic
        raise EmulatorError(
            f"no topic named {name!r}; topics: {[t.name for t in self.chat.topics.values()]}"
        )

    def member(self, user_id: int) -> Member | None:
        return self.chat.members.get(user_id)

    def add_member(
        self,
        user_id: int,
        name: str | None = None,
        status: MemberStatus = "member",
        *,
        rights: dict[str, bool] | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        custom_title: str | None = None,
    ) -> Member:
        """Put a user in the group (creating the account if new; no updates)."""
        if user_id not in self._core.world.users:
            first, _, last = (name or f"User {user_id}").partition(" ")
            # Group members have not necessarily started the bot in private.
            self._core.add_user(
                User(user_id, first, last or None, username, language_code, started=False)
            )
        return self._actions.add_member(self.id, user_id, status, rights, custom_title)

    def set_bot_status(self, status: MemberStatus, rights: dict[str, bool] | None = None) -> None:
        """Promote/demote/remove the bot; the bot receives my_chat_member."""
        self._actions.set_bot_membership(self.id, status, rights)

    async def send(
        self,
        from_user: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: MessageRef | None = None,
    ) -> MessageDict:
        reply = message_id_of(reply_to) if reply_to is not None else None
        return self._actions.send_text(
            self.id, from_user, text, thread_id=thread_id, reply_to=reply
        )

    async def send_photo(
        self,
        from_user: int,
        data: bytes,
        caption: str | None = None,
        *,
        thread_id: int | None = None,
    ) -> MessageDict:
        return self._actions.send_photo(
            self.id, from_user, data, caption=caption, thread_id=thread_id
        )

    async def send_document(
        self,
        from_user: int,
        data: bytes,
        filename: str = "file.bin",
        mime: str | None = None,
        caption: str | None = None,
        *,
        thread_id: int | None = None,
    ) -> MessageDict:
        return self._actions.send_document(
            self.id,
            from_user,
            DocumentUpload(data, filename, mime),
            caption=caption,
            thread_id=thread_id,
        )

    async def send_location(
        self, from_user: int, latitude: float, longitude: float, *, thread_id: int | None = None
    ) -> MessageDict:
        return self._actions.send_location(
            self.id, from_user, latitude, longitude, thread_id=thread_id
        )

    async def press(
        self,
        msg: MessageRef,
        text: str | None = None,
        *,
        from_user: int,
        callback_data: str | None = None,
        wait: bool = True,
        timeout: float = 5.0,
        stale: bool = False,
    ) -> dict[str, Any] | None:
        return await self._actions.press(
            self.id,
            from_user,
            message_id_of(msg),
            text,
            callback_data=callback_data,
            wait=wait,
            timeout=timeout,
            stale=stale,
        )

    async def pay(
        self, invoice_msg: MessageRef, *, from_user: int, timeout: float = 10.0
    ) -> PaymentOutcome:
        return await self._actions.pay(
            self.id, from_user, message_id_of(invoice_msg), timeout=timeout
        )

    async def create_topic(self, from_user: int, name: str) -> int:
        """An admin creates a topic; returns its message_thread_id."""
        return int(self._actions.create_topic(self.id, from_user, name)["message_thread_id"])

    async def join(self, user_id: int, invite_link: str | None = None) -> MessageDict:
        return self._actions.join(self.id, user_id, invite_link)

    async def leave(self, user_id: int) -> MessageDict:
        return self._actions.leave(self.id, user_id)

    async def edit(self, from_user: int, msg: MessageRef, text: str) -> MessageDict:
        return self._actions.edit_text(self.id, from_user, message_id_of(msg), text)
