"""Where a bot message goes and what it may carry: checks shared by every send method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.formatting import format_text, utf16_len
from bot.emulator.params import Params
from bot.emulator.state import Chat, Message

MAX_TEXT = 4096
MAX_CAPTION = 1024
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass
class Outgoing:
    """Where a bot message goes, resolved and permission-checked."""

    chat: Chat
    thread_id: int | None
    is_topic: bool
    reply_to: Message | None
    protect: bool


def outgoing(core: EmulatorCore, p: Params, count: int = 1) -> Outgoing:
    """Common checks of every send method, in Telegram's order."""
    chat = core.chat_for_bot(p.chat_id())
    core.check_bot_can_send(chat)
    reply_id = p.get_int("reply_to_message_id")
    allow_without = p.get_bool("allow_sending_without_reply")
    reply_parameters = p.get_json("reply_parameters")
    if isinstance(reply_parameters, dict):
        reply_id = reply_parameters.get("message_id", reply_id)
        allow_without = bool(reply_parameters.get("allow_sending_without_reply", allow_without))
    reply_to = core.reply_target(chat, int(reply_id) if reply_id else None, allow_without)
    rights = core.bot_rights(chat)
    thread_id, is_topic = core.resolve_thread(
        chat,
        p.get_int("message_thread_id"),
        reply_to,
        sender_is_admin=bool(rights and rights.can_manage_topics),
    )
    core.check_flood(chat, count)
    return Outgoing(chat, thread_id, is_topic, reply_to, p.get_bool("protect_content"))


def deliver(core: EmulatorCore, out: Outgoing, **fields: Any) -> Message:
    """Create the bot's message and record the send for flood control."""
    msg = core.new_message(
        out.chat,
        core.bot.id,
        thread_id=out.thread_id,
        is_topic_message=out.is_topic,
        reply_to=out.reply_to.message_id if out.reply_to else None,
        has_protected_content=out.protect,
        **fields,
    )
    core.record_send(out.chat)
    return msg


def parse_markup(p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate reply_markup the way Telegram rejects broken keyboards."""
    markup = p.get_json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return {"inline_keyboard": _inline_rows(markup["inline_keyboard"])}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list):
            raise bad_request("can't parse reply keyboard markup JSON object")
        normalized = []
        for row in rows:
            if not isinstance(row, list):
                raise bad_request("can't parse reply keyboard markup JSON object")
            buttons = [{"text": b} if isinstance(b, str) else b for b in row]
            for button in buttons:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
            normalized.append(buttons)
        return {**markup, "keyboard": normalized}
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_rows(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request("can't parse inline keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or "text" not in button:
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [a for a in _INLINE_ACTIONS if a in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                # The classic bug: callback_data is limited to 64 bytes.
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and urlparse(str(url)).scheme not in ("http", "https", "tg"):
                raise bad_request(
                    f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
                )
    return rows


def parse_body_text(p: Params) -> tuple[str, list[dict[str, Any]], str]:
    """The text of sendMessage/editMessageText: (plain, entities, raw)."""
    raw = p.get_str("text", "") or ""
    if not raw.strip():
        raise bad_request("message text is empty")
    formatted = format_text(raw, p.get_str("parse_mode"), p.get_json("entities"))
    if not formatted.text:
        raise bad_request("message text is empty")
    if utf16_len(formatted.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return formatted.text, formatted.entities, raw


def parse_caption(
    p: Params, name: str = "caption", parse_mode: str | None = None
) -> tuple[str | None, list[dict[str, Any]] | None]:
    raw = p.get_str(name)
    if raw is None or not raw.strip():
        return None, None
    formatted = format_text(
        raw, parse_mode or p.get_str("parse_mode"), p.get_json("caption_entities")
    )
    if utf16_len(formatted.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return formatted.text or None, formatted.entities or None
