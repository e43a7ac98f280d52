"""Answering callback queries and reacting to messages."""

from __future__ import annotations

from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params

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
