"""Reading a chat in tests: its messages as the user sees them, and waiting for the bot.

Messages are plain Bot API dicts (the user's view: reply keyboards included)
so assertions read like the Bot API docs.

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

from bot.emulator.actions import EmulatorTimeout, UserActions, all_buttons
from bot.emulator.core import EmulatorCore
from bot.emulator.errors import EmulatorError
from bot.emulator.events import Event
from bot.emulator.state import GENERAL_TOPIC_ID, Chat

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
