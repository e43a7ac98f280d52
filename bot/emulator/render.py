"""Render the in-memory world as Bot API JSON objects.

Shapes follow https://core.telegram.org/bots/api and are checked against
aiogram's pydantic types in the tests: every required field is present and
optional ones are omitted rather than sent as null (Telegram never sends null).

Two audiences exist for a Message: the bot sees exactly what Telegram would
send it, while the user side (tests, sandbox page) additionally sees reply
keyboards / force_reply markup that Telegram shows in the client but never
includes in a Message object.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.emulator.state import (
    BotIdentity,
    Chat,
    InvoiceData,
    Member,
    Message,
    StoredFile,
    Topic,
    User,
    World,
)

Audience = Literal["bot", "user"]
JSON = dict[str, Any]


def _compact(data: JSON) -> JSON:
    """Drop None values: Telegram omits absent optional fields."""
    return {k: v for k, v in data.items() if v is not None}


def user_json(user: User) -> JSON:
    return _compact(
        {
            "id": user.id,
            "is_bot": user.is_bot,
            "first_name": user.first_name if not user.deactivated else "Deleted Account",
            "last_name": user.last_name if not user.deactivated else None,
            "username": user.username if not user.deactivated else None,
            "language_code": user.language_code,
        }
    )


def bot_user_json(bot: BotIdentity, *, get_me: bool = False) -> JSON:
    data: JSON = {
        "id": bot.id,
        "is_bot": True,
        "first_name": bot.first_name,
        "username": bot.username,
    }
    if get_me:
        # Only getMe reports the bot's capability flags.
        data.update(
            can_join_groups=bot.can_join_groups,
            can_read_all_group_messages=bot.can_read_all_group_messages,
            supports_inline_queries=bot.supports_inline_queries,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
    return data


def sender_json(world: World, user_id: int | None) -> JSON | None:
    if user_id is None:
        return None
    if user_id == world.bot.id:
        return bot_user_json(world.bot)
    user = world.users.get(user_id)
    return user_json(user) if user else {"id": user_id, "is_bot": False, "first_name": "?"}


def chat_json(world: World, chat: Chat) -> JSON:
    if chat.type == "private":
        user = world.users[chat.id]
        return _compact(
            {
                "id": chat.id,
                "type": "private",
                "first_name": user.first_name if not user.deactivated else "Deleted Account",
                "last_name": user.last_name if not user.deactivated else None,
                "username": user.username if not user.deactivated else None,
            }
        )
    return _compact(
        {
            "id": chat.id,
            "type": chat.type,
            "title": chat.title,
            "is_forum": True if chat.is_forum else None,
        }
    )


def chat_full_info_json(world: World, chat: Chat) -> JSON:
    data = chat_json(world, chat)
    data.update(
        accent_color_id=abs(chat.id) % 7,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    if chat.pinned:
        pinned = chat.messages.get(chat.pinned[-1])
        if pinned and not pinned.deleted:
            data["pinned_message"] = message_json(world, pinned, with_reply=False)
    if chat.is_group:
        data["permissions"] = {
            "can_send_messages": True,
            "can_send_audios": True,
            "can_send_documents": True,
            "can_send_photos": True,
            "can_send_videos": True,
            "can_send_video_notes": True,
            "can_send_voice_notes": True,
            "can_send_polls": True,
            "can_send_other_messages": True,
            "can_add_web_page_previews": True,
            "can_change_info": False,
            "can_invite_users": True,
            "can_pin_messages": False,
            "can_manage_topics": False,
        }
    return data


def photo_size_json(file: StoredFile) -> JSON:
    return {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "width": file.width or 0,
        "height": file.height or 0,
        "file_size": file.size,
    }


def document_json(file: StoredFile) -> JSON:
    return _compact(
        {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_name": file.file_name,
            "mime_type": file.mime_type,
            "file_size": file.size,
        }
    )


def video_json(file: StoredFile) -> JSON:
    return _compact(
        {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "width": file.width or 0,
            "height": file.height or 0,
            "duration": file.duration or 0,
            "file_name": file.file_name,
            "mime_type": file.mime_type,
            "file_size": file.size,
        }
    )


def file_json(file: StoredFile) -> JSON:
    """The File object returned by getFile."""
    return {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.size,
        "file_path": file.file_path,
    }


def invoice_json(invoice: InvoiceData) -> JSON:
    return {
        "title": invoice.title,
        "description": invoice.description,
        "start_parameter": invoice.start_parameter,
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
    }


def topic_json(topic: Topic) -> JSON:
    return _compact(
        {
            "message_thread_id": topic.thread_id,
            "name": topic.name,
            "icon_color": topic.icon_color,
            "icon_custom_emoji_id": topic.icon_custom_emoji_id,
        }
    )


def _reply_target(chat: Chat, msg: Message) -> Message | None:
    reply_id = msg.reply_to
    if reply_id is None and msg.is_topic_message and msg.thread_id != msg.message_id:
        # Telegram quirk: a message in a forum topic that replies to nothing
        # carries the topic's forum_topic_created message as reply_to_message.
        reply_id = msg.thread_id
    if reply_id is None:
        return None
    target = chat.messages.get(reply_id)
    return target if target and not target.deleted else None


def message_json(
    world: World, msg: Message, *, audience: Audience = "bot", with_reply: bool = True
) -> JSON:
    """A Message object; replies and pinned messages are rendered one level deep."""
    chat = world.chats[msg.chat_id]
    data: JSON = {"message_id": msg.message_id}
    if msg.thread_id is not None:
        data["message_thread_id"] = msg.thread_id
    sender = sender_json(world, msg.from_id)
    if sender:
        data["from"] = sender
    data["date"] = msg.date
    data["chat"] = chat_json(world, chat)
    if msg.forward_origin:
        data["forward_origin"] = msg.forward_origin
        _legacy_forward_fields(data, msg.forward_origin)
    if msg.is_topic_message:
        data["is_topic_message"] = True
    if with_reply and (target := _reply_target(chat, msg)):
        data["reply_to_message"] = message_json(world, target, audience=audience, with_reply=False)
    if msg.edit_date is not None:
        data["edit_date"] = msg.edit_date
    if msg.has_protected_content:
        data["has_protected_content"] = True
    if msg.media_group_id:
        data["media_group_id"] = msg.media_group_id
    if msg.text is not None:
        data["text"] = msg.text
        if msg.entities:
            data["entities"] = msg.entities
    if msg.photo:
        data["photo"] = [photo_size_json(world.files[f]) for f in msg.photo]
    if msg.document:
        data["document"] = document_json(world.files[msg.document])
    if msg.video:
        data["video"] = video_json(world.files[msg.video])
    if msg.caption is not None:
        data["caption"] = msg.caption
        if msg.caption_entities:
            data["caption_entities"] = msg.caption_entities
    if msg.contact:
        data["contact"] = msg.contact
    if msg.location:
        data["location"] = msg.location
    if msg.invoice:
        data["invoice"] = invoice_json(msg.invoice)
    if msg.successful_payment:
        data["successful_payment"] = msg.successful_payment
    data.update(msg.service)
    if msg.pinned_message_id is not None and with_reply:
        pinned = chat.messages.get(msg.pinned_message_id)
        if pinned and not pinned.deleted:
            data["pinned_message"] = message_json(
                world, pinned, audience=audience, with_reply=False
            )
    markup = msg.reply_markup
    if markup and (audience == "user" or "inline_keyboard" in markup):
        data["reply_markup"] = markup
    return data


def _legacy_forward_fields(data: JSON, origin: JSON) -> None:
    # Telegram still sends the pre-7.0 forward_* fields next to forward_origin.
    data["forward_date"] = origin["date"]
    if origin["type"] == "user":
        data["forward_from"] = origin["sender_user"]
    elif origin["type"] == "hidden_user":
        data["forward_sender_name"] = origin["sender_user_name"]
    elif origin["type"] in ("chat", "channel"):
        data["forward_from_chat"] = origin.get("sender_chat") or origin.get("chat")
        if "message_id" in origin:
            data["forward_from_message_id"] = origin["message_id"]


_RESTRICTED_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


def member_json(user: JSON, member: Member | None) -> JSON:
    """A ChatMember object of the right subtype for the member's status."""
    if member is None:
        return {"status": "left", "user": user}
    status = member.status
    if status == "creator":
        return _compact(
            {
                "status": "creator",
                "user": user,
                "is_anonymous": False,
                "custom_title": member.custom_title,
            }
        )
    if status == "administrator":
        assert member.rights is not None
        data: JSON = {"status": "administrator", "user": user, **member.rights.to_dict()}
        if member.custom_title:
            data["custom_title"] = member.custom_title
        return data
    if status == "restricted":
        data = {"status": "restricted", "user": user, "is_member": True, "until_date": 0}
        data.update(dict.fromkeys(_RESTRICTED_PERMISSIONS, False))
        return data
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    return {"status": status, "user": user}
