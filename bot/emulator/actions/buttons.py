"""Pressing buttons: inline keyboards (callbacks, URLs, pay) and the reply keyboard."""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
from typing import Any

from bot.emulator.actions.base import EmulatorTimeout
from bot.emulator.actions.messaging import MessagingActions
from bot.emulator.actions.payments import PaymentActions
from bot.emulator.errors import EmulatorError
from bot.emulator.events import wait_result
from bot.emulator.render import user_json
from bot.emulator.state import CallbackRecord, Chat, Message


def all_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Buttons of an inline or reply keyboard, row by row."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


def find_button(
    markup: dict[str, Any] | None, text: str | None, callback_data: str | None = None
) -> dict[str, Any]:
    """Pick a button by callback_data, exact text, or a unique case-insensitive substring."""
    buttons = all_buttons(markup)
    if callback_data is not None:
        matches = [b for b in buttons if b.get("callback_data") == callback_data]
    else:
        if text is None:
            raise EmulatorError("press() needs a button text or callback_data")
        matches = [b for b in buttons if b.get("text") == text]
        if not matches:
            needle = text.casefold()
            matches = [b for b in buttons if needle in str(b.get("text", "")).casefold()]
    if len(matches) != 1:
        labels = [b.get("text") for b in buttons]
        what = f"callback_data={callback_data!r}" if callback_data is not None else repr(text)
        problem = "no button" if not matches else "several buttons match"
        raise EmulatorError(f"{problem} {what}; buttons are {labels}")
    return matches[0]


class ButtonActions(MessagingActions, PaymentActions):
    """A user presses a button; what happens depends on the button."""

    async def press(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        wait: bool = True,
        timeout: float = 5.0,
        stale: bool = False,
    ) -> dict[str, Any] | None:
        """Press a button of a message's keyboard.

        Callback buttons return the bot's answerCallbackQuery parameters (or
        None with ``wait=False``, or for a ``stale`` press: one that reaches the
        bot too late to be answered, as after a restart); URL buttons return ``{"url": ...}``; a pay
        button pays; buttons of a reply keyboard send their text/contact.
        """
        chat = self.core.chat(chat_id)
        msg = self._message(chat, message_id)
        markup = msg.reply_markup
        if markup and "keyboard" in markup:
            return self.press_key(chat_id, user_id, text or "")
        button = find_button(markup, text, callback_data)
        if "callback_data" in button:
            return await self._callback(
                chat, user_id, msg, str(button["callback_data"]), wait, timeout, stale
            )
        if button.get("pay"):
            outcome = await self.pay(chat_id, user_id, message_id, timeout=max(timeout, 10.0))
            return outcome.to_json()
        for kind in ("url", "web_app", "login_url", "copy_text"):
            if kind in button:
                return {kind: button[kind]}
        raise EmulatorError(f"pressing a {sorted(button)} button is not emulated")

    async def _callback(
        self,
        chat: Chat,
        user_id: int,
        msg: Message,
        data: str,
        wait: bool,
        timeout: float,
        stale: bool = False,
    ) -> dict[str, Any] | None:
        user = self._sender(chat, user_id)
        query_id = str(secrets.randbits(63))
        # A stale query can no longer be answered: Telegram says "query is too old".
        self.core.world.callbacks[query_id] = CallbackRecord(
            query_id, user.id, chat.id, msg.message_id, data, answered=stale
        )
        wait = wait and not stale
        payload = {
            "id": query_id,
            "from": user_json(user),
            "message": self.core.bot_view(msg),
            "chat_instance": chat.chat_instance,
            "data": data,
        }
        future = self.core.expect_answer(query_id)
        if self.core.updates.put("callback_query", payload) is None:
            self.core.answer_waiters.pop(query_id, None)
            raise EmulatorError(
                "the bot does not receive callback_query updates "
                f"(allowed_updates={self.core.updates.allowed_updates})"
            )
        self.core.events.emit(
            "callback_query",
            chat.id,
            query_id=query_id,
            user_id=user.id,
            message_id=msg.message_id,
            data=data,
        )
        if not wait:
            return None
        try:
            return await wait_result(future, timeout)
        except TimeoutError:
            raise EmulatorTimeout(
                f"the bot did not answer callback query {data!r} within {timeout}s"
                + self.core.delivery_hint()
            ) from None
        finally:
            self.core.answer_waiters.pop(query_id, None)

    def press_key(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        location: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown in the chat."""
        chat = self.core.chat(chat_id)
        keyboard = chat.reply_keyboard
        if keyboard is None:
            raise EmulatorError(f"no reply keyboard is shown in chat {chat_id}")
        button = find_button(keyboard, text)
        if keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        if button.get("request_contact"):
            return self.send_contact(chat_id, user_id)
        if button.get("request_location"):
            if location is None:
                raise EmulatorError("this button shares a location: pass location=(lat, lon)")
            return self.send_location(chat_id, user_id, *location)
        return self.send_text(chat_id, user_id, str(button["text"]))
