"""In-process Python API for tests: act as users, wait for the bot's answers.

`UserHandle` is a person in their private chat with the bot; `GroupHandle` is a
(super)group where several members act. Messages are plain Bot API dicts (the
user's view: reply keyboards included) so assertions read like the Bot API
docs.

`expect()` *consumes* bot messages: it returns the earliest message since the
handle was created (or since `skip()`) that matches and has not been returned
before, waiting for it if needed. Each message is thus matched once, repeated
expects walk through repeated messages, and the order of expects need not
follow the exact order in which the bot happened to send things (an album and
a card in a topic, a group notice and a private reply).
"""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.emulator.actions import (
    DocumentUpload,
    EmulatorTimeout,
    PaymentOutcome,
    UserActions,
    all_buttons,
)
from bot.emulator.core import EmulatorCore
from bot.emulator.errors import EmulatorError
from bot.emulator.events import Event
from bot.emulator.methods.meta import effective_commands
from bot.emulator.state import GENERAL_TOPIC_ID, Chat, Member, MemberStatus, Topic, User

# A message given as its Bot API dict, its id, or any object with a
# ``message_id`` attribute (e.g. an aiogram Message returned to the bot).
MessageRef = Mapping[str, Any] | int | Any
MessageDict = dict[str, Any]


def message_id_of(ref: MessageRef) -> int:
    if isinstance(ref, int):
        return ref
    if isinstance(ref, Mapping):
        return int(ref["message_id"])
    return int(ref.message_id)


def button_texts(msg: Mapping[str, Any]) -> list[str]:
    """Texts of all buttons of a message's keyboard, row by row."""
    return [str(b.get("text")) for b in all_buttons(msg.get("reply_markup"))]


def message_text(msg: Mapping[str, Any]) -> str:
    """Text or caption of a message ('' for none)."""
    return str(msg.get("text") or msg.get("caption") or "")


@dataclass
class Criteria:
    """What `expect()` looks for in a message; None means "don't care"."""

    text_contains: str | None = None
    text: str | None = None
    regex: str | None = None
    thread_id: int | None = None
    has_buttons: bool | None = None
    button: str | None = None
    photo: bool | None = None
    document: bool | None = None
    invoice: bool | None = None
    where: Callable[[MessageDict], bool] | None = None

    def matches(self, msg: MessageDict) -> bool:
        body = message_text(msg)
        checks = [
            self.text_contains is None or self.text_contains in body,
            self.text is None or body == self.text,
            self.regex is None or re.search(self.regex, body) is not None,
            self.thread_id is None or self._thread_ok(msg),
            self.has_buttons is None or bool(button_texts(msg)) == self.has_buttons,
            self.button is None or self.button in button_texts(msg),
            self.photo is None or ("photo" in msg) == self.photo,
            self.document is None or ("document" in msg) == self.document,
            self.invoice is None or ("invoice" in msg) == self.invoice,
        ]
        return all(checks) and (self.where is None or bool(self.where(msg)))

    def _thread_ok(self, msg: MessageDict) -> bool:
        if self.thread_id == GENERAL_TOPIC_ID:
            return "message_thread_id" not in msg
        return msg.get("message_thread_id") == self.thread_id

    def describe(self) -> str:
        parts = [
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if value is not None and name != "where"
        ]
        if self.where is not None:
            parts.append("where=<callable>")
        return ", ".join(parts) or "anything"


def _summary(msg: MessageDict, bot_id: int) -> str:
    sender = msg.get("from", {})
    who = "bot" if sender.get("id") == bot_id else sender.get("first_name", "?")
    if msg.get("text") is not None or msg.get("caption") is not None:
        what = repr(message_text(msg)[:120])
    else:
        kinds = [k for k in msg if k not in ("message_id", "from", "chat", "date")]
        what = "<" + ",".join(kinds[:3]) + ">"
    thread = f" [thread {msg['message_thread_id']}]" if "message_thread_id" in msg else ""
    buttons = button_texts(msg)
    extra = f" buttons={buttons}" if buttons else ""
    return f"  #{msg['message_id']}{thread} {who}: {what}{extra}"


class ChatHandle:
    """Reading side shared by private chats and groups."""

    def __init__(self, core: EmulatorCore, actions: UserActions, chat_id: int) -> None:
        self._core = core
        self._actions = actions
        self.id = chat_id
        # Events up to `_floor` are ignored; `_consumed` holds events already returned.
        self._floor = core.events.last_seq
        self._consumed: set[int] = set()

    @property
    def chat(self) -> Chat:
        return self._core.chat(self.id)

    @property
    def messages(self) -> list[MessageDict]:
        """All messages of the chat in order, edits applied, deleted ones gone."""
        return [self._core.user_view(m) for m in self.chat.live_messages()]

    def thread(self, thread_id: int | None) -> list[MessageDict]:
        """Messages of one forum topic (None or GENERAL_TOPIC_ID: General)."""
        general = thread_id in (None, GENERAL_TOPIC_ID)
        return [
            m
            for m in self.messages
            if (
                m.get("message_thread_id") is None
                if general
                else m.get("message_thread_id") == thread_id
            )
        ]

    def get(self, ref: MessageRef) -> MessageDict:
        """Current state of a message (after edits)."""
        msg = self.chat.messages.get(message_id_of(ref))
        if msg is None or msg.deleted:
            raise EmulatorError(f"message {message_id_of(ref)} not found in chat {self.id}")
        return self._core.user_view(msg)

    @property
    def bot_messages(self) -> list[MessageDict]:
        bot_id = self._core.bot.id
        return [m for m in self.messages if m.get("from", {}).get("id") == bot_id]

    @property
    def last_bot_message(self) -> MessageDict | None:
        found = self.bot_messages
        return found[-1] if found else None

    @property
    def reply_keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard the bot currently shows in this chat."""
        return self.chat.reply_keyboard

    @property
    def pinned(self) -> list[MessageDict]:
        chat = self.chat
        return [self._core.user_view(chat.messages[m]) for m in chat.pinned]

    def dump(self, limit: int = 12) -> str:
        """Recent messages and failed API calls, for assertion messages."""
        lines = [_summary(m, self._core.bot.id) for m in self.messages[-limit:]]
        errors = [c for c in self._core.calls if not c.ok][-5:]
        if errors:
            lines.append("recent Bot API errors:")
            lines += [f"  {c.method}: {c.error_code} {c.description}" for c in errors]
        return "\n".join(lines) or "  (no messages)"

    async def expect(
        self,
        text_contains: str | None = None,
        *,
        text: str | None = None,
        regex: str | None = None,
        thread_id: int | None = None,
        has_buttons: bool | None = None,
        button: str | None = None,
        photo: bool | None = None,
        document: bool | None = None,
        invoice: bool | None = None,
        where: Callable[[MessageDict], bool] | None = None,
        edited: bool | None = False,
        by: str | None = "bot",
        timeout: float = 5.0,
    ) -> MessageDict:
        """Wait for a not yet consumed bot message in this chat matching all criteria.

        ``edited=True`` waits for an edit instead (``None``: either); the
        message is returned as it was at that moment. ``text_contains`` also
        looks at captions. On timeout raises `EmulatorTimeout` listing the
        chat's recent messages and Bot API errors.
        """
        criteria = Criteria(
            text_contains,
            text,
            regex,
            thread_id,
            has_buttons,
            button,
            photo,
            document,
            invoice,
            where,
        )
        types = {False: {"message"}, True: {"message_edited"}, None: {"message", "message_edited"}}
        wanted = types[edited]

        def predicate(event: Event) -> bool:
            return (
                event.chat_id == self.id
                and event.type in wanted
                and event.seq not in self._consumed
                and (by is None or event.data.get("by") == by)
                and criteria.matches(event.data["message"])
            )

        event = await self._core.events.wait_for(predicate, self._floor, timeout)
        if event is None:
            kind = "edit" if edited else "message"
            raise EmulatorTimeout(
                f"no {by or 'any'} {kind} matching {criteria.describe()} in chat {self.id} "
                f"within {timeout}s{self._core.delivery_hint()}; recent messages:\n{self.dump()}"
            )
        self._consumed.add(event.seq)
        return dict(event.data["message"])

    async def expect_edit(self, ref: MessageRef | None = None, **criteria: Any) -> MessageDict:
        """Wait for the bot to edit a message (optionally a specific one)."""
        if ref is not None:
            wanted_id = message_id_of(ref)
            previous = criteria.pop("where", None)
            criteria["where"] = lambda m: (
                m["message_id"] == wanted_id and (previous is None or previous(m))
            )
        return await self.expect(edited=True, **criteria)

    async def expect_nothing(self, within: float = 0.3, **criteria: Any) -> None:
        """Assert the bot sends no (matching) message for `within` seconds."""
        try:
            msg = await self.expect(timeout=within, **criteria)
        except EmulatorTimeout:
            return
        raise AssertionError(f"unexpected bot message: {_summary(msg, self._core.bot.id)}")

    def skip(self) -> None:
        """Consume everything received so far: the next expect() sees only new messages."""
        self._floor = self._core.events.last_seq
        self._consumed.clear()


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
    ) -> dict[str, Any] | None:
        """Press a button; for callback buttons returns the bot's answer."""
        return await self._actions.press(
            self.id,
            self.id,
            message_id_of(msg),
            text,
            callback_data=callback_data,
            wait=wait,
            timeout=timeout,
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
    ) -> dict[str, Any] | None:
        return await self._actions.press(
            self.id,
            from_user,
            message_id_of(msg),
            text,
            callback_data=callback_data,
            wait=wait,
            timeout=timeout,
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
