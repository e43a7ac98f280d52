"""Copying and forwarding messages."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.outgoing import (
    deliver,
    outgoing,
    parse_caption,
    parse_markup,
)
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.render import sender_json
from bot.emulator.state import Message


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
