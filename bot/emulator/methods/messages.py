"""Sending, editing, deleting, copying and pinning messages; chat actions; callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.formatting import format_text, utf16_len
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.render import sender_json
from bot.emulator.state import Chat, Message, now

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
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


# ------------------------------------------------------------------- helpers


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


def own_message(core: EmulatorCore, p: Params, action: str) -> Message:
    """The bot's message addressed by chat_id + message_id (edit methods)."""
    if p.has("inline_message_id") and not p.has("chat_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = core.chat_for_bot(p.chat_id())
    core.check_bot_can_send(chat)
    message_id = p.get_int("message_id")
    msg = core.message_for_bot(chat, message_id) if message_id is not None else None
    if msg is None:
        raise bad_request(f"message to {action} not found")
    if msg.from_id != core.bot.id:
        raise bad_request("message can't be edited")
    return msg


def _inline_markup(msg: Message) -> dict[str, Any] | None:
    markup = msg.reply_markup
    return markup if markup and "inline_keyboard" in markup else None


def _apply_inline_markup(msg: Message, markup: dict[str, Any] | None) -> None:
    # Edits replace the inline keyboard (omitting reply_markup removes it, as
    # in Telegram); a reply keyboard attached at send time is not touched.
    if markup is None and msg.reply_markup and "inline_keyboard" not in msg.reply_markup:
        return
    msg.reply_markup = markup


def _finish_edit(core: EmulatorCore, msg: Message) -> dict[str, Any]:
    msg.edit_date = max(msg.date, now())
    core.emit_edit(msg, by="bot")
    return core.bot_view(msg)


# ------------------------------------------------------------------- sending


@bot_method("sendMessage")
async def send_message(core: EmulatorCore, p: Params) -> dict[str, Any]:
    text, entities, raw = parse_body_text(p)
    markup = parse_markup(p)
    out = outgoing(core, p)
    msg = deliver(
        core,
        out,
        text=text,
        entities=entities or None,
        raw_text=raw,
        parse_mode=p.get_str("parse_mode"),
        reply_markup=markup,
    )
    return core.publish_bot_message(msg)


@bot_method("sendLocation")
async def send_location(core: EmulatorCore, p: Params) -> dict[str, Any]:
    latitude = p.get_float("latitude")
    longitude = p.get_float("longitude")
    if latitude is None or longitude is None:
        raise bad_request("latitude and longitude are required")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
        if p.has(key):
            location[key] = p.get_float(key) if key == "horizontal_accuracy" else p.get_int(key)
    markup = parse_markup(p)
    out = outgoing(core, p)
    return core.publish_bot_message(deliver(core, out, location=location, reply_markup=markup))


@bot_method("sendContact")
async def send_contact(core: EmulatorCore, p: Params) -> dict[str, Any]:
    phone = p.require_str("phone_number", "phone number is empty")
    first_name = p.require_str("first_name", "first name is empty")
    contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
    for key in ("last_name", "vcard"):
        if value := p.get_str(key):
            contact[key] = value
    markup = parse_markup(p)
    out = outgoing(core, p)
    return core.publish_bot_message(deliver(core, out, contact=contact, reply_markup=markup))


@bot_method("sendChatAction")
async def send_chat_action(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    core.check_bot_can_send(chat)
    action = p.get_str("action", "") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    core.events.emit(
        "chat_action", chat.id, action=action, thread_id=p.get_int("message_thread_id")
    )
    return True


# ------------------------------------------------------------------- editing


@bot_method("editMessageText")
async def edit_message_text(core: EmulatorCore, p: Params) -> dict[str, Any]:
    msg = own_message(core, p, "edit")
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities, raw = parse_body_text(p)
    markup = parse_markup(p, inline_only=True)
    if text == msg.text and (entities or None) == msg.entities and markup == _inline_markup(msg):
        raise bad_request(NOT_MODIFIED)
    msg.text, msg.entities, msg.raw_text = text, entities or None, raw
    msg.parse_mode = p.get_str("parse_mode")
    _apply_inline_markup(msg, markup)
    return _finish_edit(core, msg)


@bot_method("editMessageCaption")
async def edit_message_caption(core: EmulatorCore, p: Params) -> dict[str, Any]:
    msg = own_message(core, p, "edit")
    if not msg.has_media:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = parse_caption(p)
    markup = parse_markup(p, inline_only=True)
    if (
        caption == msg.caption
        and entities == msg.caption_entities
        and (markup == _inline_markup(msg))
    ):
        raise bad_request(NOT_MODIFIED)
    msg.caption, msg.caption_entities = caption, entities
    _apply_inline_markup(msg, markup)
    return _finish_edit(core, msg)


@bot_method("editMessageReplyMarkup")
async def edit_message_reply_markup(core: EmulatorCore, p: Params) -> dict[str, Any]:
    msg = own_message(core, p, "edit")
    markup = parse_markup(p, inline_only=True)
    if markup == _inline_markup(msg):
        raise bad_request(NOT_MODIFIED)
    _apply_inline_markup(msg, markup)
    return _finish_edit(core, msg)


# ------------------------------------------------------------------ deleting


def _delete_one(core: EmulatorCore, chat: Chat, message_id: int) -> None:
    msg = core.message_for_bot(chat, message_id)
    if msg is None:
        raise bad_request("message to delete not found")
    if chat.is_group and msg.from_id != core.bot.id:
        rights = core.bot_rights(chat)
        if rights is None or not rights.can_delete_messages:
            raise bad_request("message can't be deleted")
    if msg.service.get("forum_topic_created"):
        raise bad_request("message can't be deleted")
    core.delete_message(msg, by="bot")


@bot_method("deleteMessage")
async def delete_message(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    _delete_one(core, chat, p.require_int("message_id", "message identifier is not specified"))
    return True


@bot_method("deleteMessages")
async def delete_messages(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    ids = p.get_json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids is invalid")
    deleted = 0
    for message_id in ids:
        try:
            _delete_one(core, chat, int(message_id))
            deleted += 1
        except Exception:  # noqa: S112 - Telegram skips undeletable ones
            continue
    if not deleted:
        raise bad_request("message to delete not found")
    return True


# ------------------------------------------------------------ copy & forward


def _source(core: EmulatorCore, p: Params, action: str) -> Message:
    chat = core.chat_for_bot(p.chat_id("from_chat_id"))
    message_id = p.get_int("message_id")
    msg = core.message_for_bot(chat, message_id) if message_id is not None else None
    if msg is None:
        raise bad_request(f"message to {action} not found")
    if msg.has_protected_content:
        raise bad_request(
            "message can't be copied" if action == "copy" else "message can't be forwarded"
        )
    return msg


_CONTENT_FIELDS = ("text", "entities", "photo", "document", "video", "contact", "location")


@bot_method("copyMessage")
async def copy_message(core: EmulatorCore, p: Params) -> dict[str, int]:
    source = _source(core, p, "copy")
    if source.service or source.invoice or source.successful_payment:
        raise bad_request("message can't be copied")
    markup = parse_markup(p)
    content: dict[str, Any] = {name: getattr(source, name) for name in _CONTENT_FIELDS}
    if p.has("caption"):
        content["caption"], content["caption_entities"] = parse_caption(p)
    else:
        content["caption"], content["caption_entities"] = (
            source.caption,
            source.caption_entities,
        )
    out = outgoing(core, p)
    msg = deliver(core, out, reply_markup=markup, **content)
    core.publish_bot_message(msg)
    return {"message_id": msg.message_id}


@bot_method("forwardMessage")
async def forward_message(core: EmulatorCore, p: Params) -> dict[str, Any]:
    source = _source(core, p, "forward")
    if source.service:
        raise bad_request("message can't be forwarded")
    origin = source.forward_origin or {
        "type": "user",
        "sender_user": sender_json(core.world, source.from_id),
        "date": source.date,
    }
    content: dict[str, Any] = {name: getattr(source, name) for name in _CONTENT_FIELDS}
    out = outgoing(core, p)
    msg = deliver(
        core,
        out,
        caption=source.caption,
        caption_entities=source.caption_entities,
        invoice=source.invoice,
        forward_origin=origin,
        **content,
    )
    return core.publish_bot_message(msg)


# ------------------------------------------------------------------- pinning


def _check_pin_rights(core: EmulatorCore, chat: Chat) -> None:
    if chat.is_group:
        rights = core.bot_rights(chat)
        if rights is None or not rights.can_pin_messages:
            raise bad_request("not enough rights to manage pinned messages in the chat")


@bot_method("pinChatMessage")
async def pin_chat_message(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    core.check_bot_can_send(chat)
    _check_pin_rights(core, chat)
    message_id = p.require_int("message_id", "message to pin not found")
    target = core.message_for_bot(chat, message_id)
    if target is None:
        raise bad_request("message to pin not found")
    if message_id in chat.pinned:
        chat.pinned.remove(message_id)
    chat.pinned.append(message_id)
    # Telegram posts a "pinned a message" service message in the chat.
    service = core.new_message(
        chat,
        core.bot.id,
        thread_id=target.thread_id,
        is_topic_message=target.is_topic_message,
        pinned_message_id=message_id,
    )
    core.publish_bot_message(service)
    core.events.emit("message_pinned", chat.id, message_id=message_id)
    return True


@bot_method("unpinChatMessage")
async def unpin_chat_message(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    _check_pin_rights(core, chat)
    message_id = p.get_int("message_id")
    if message_id is None:
        if not chat.pinned:
            return True
        message_id = chat.pinned[-1]
    if message_id not in chat.pinned:
        raise bad_request("message to unpin not found")
    chat.pinned.remove(message_id)
    core.events.emit("message_unpinned", chat.id, message_id=message_id)
    return True


@bot_method("unpinAllChatMessages")
async def unpin_all_chat_messages(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    _check_pin_rights(core, chat)
    for message_id in list(chat.pinned):
        core.events.emit("message_unpinned", chat.id, message_id=message_id)
    chat.pinned.clear()
    return True


# ----------------------------------------------------------------- callbacks

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@bot_method("answerCallbackQuery")
async def answer_callback_query(core: EmulatorCore, p: Params) -> bool:
    query_id = p.require_str("callback_query_id", _QUERY_INVALID)
    record = core.world.callbacks.get(query_id)
    if record is None or record.answered:
        raise bad_request(_QUERY_INVALID)
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer: dict[str, Any] = {
        "text": text,
        "show_alert": p.get_bool("show_alert"),
        "url": p.get_str("url"),
        "cache_time": p.get_int("cache_time", 0),
    }
    record.answered = True
    record.answer = answer
    core.resolve_answer(query_id, answer)
    core.events.emit(
        "callback_answered", record.chat_id, query_id=query_id, user_id=record.user_id, **answer
    )
    return True


@bot_method("setMessageReaction")
async def set_message_reaction(core: EmulatorCore, p: Params) -> bool:
    chat = core.chat_for_bot(p.chat_id())
    message_id = p.require_int("message_id")
    if core.message_for_bot(chat, message_id) is None:
        raise bad_request("message to react not found")
    core.events.emit(
        "reaction_set", chat.id, message_id=message_id, reaction=p.get_json("reaction") or []
    )
    return True
