"""Pinning and unpinning messages."""

from __future__ import annotations

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.state import Chat


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
