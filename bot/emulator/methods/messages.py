"""Sending, editing and deleting messages; chat actions."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.outgoing import (
    deliver,
    outgoing,
    parse_body_text,
    parse_caption,
    parse_markup,
)
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.state import Chat, Message, now

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
