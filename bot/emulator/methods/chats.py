"""Chat methods: chat info, members and admins, forum topics, invite links, bans."""

from __future__ import annotations

import secrets
from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.render import (
    bot_user_json,
    chat_full_info_json,
    member_json,
    topic_json,
    user_json,
)
from bot.emulator.state import TOPIC_ICON_COLORS, Chat, Member, Topic, now


def _group(core: EmulatorCore, p: Params) -> Chat:
    chat = core.chat_for_bot(p.chat_id())
    if not chat.is_group:
        raise bad_request(
            "chat not found"
            if chat.type != "private"
            else "method is available for supergroup and channel chats only"
        )
    return chat


def _member_subject(core: EmulatorCore, user_id: int) -> dict[str, Any]:
    if user_id == core.bot.id:
        return bot_user_json(core.bot)
    user = core.world.users.get(user_id)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return user_json(user)


# ----------------------------------------------------------------- chat info


@bot_method("getChat")
async def get_chat(core: EmulatorCore, p: Params) -> dict[str, Any]:
    return chat_full_info_json(core.world, core.chat_for_bot(p.chat_id()))


@bot_method("getChatMember")
async def get_chat_member(core: EmulatorCore, p: Params) -> dict[str, Any]:
    chat = core.chat_for_bot(p.chat_id())
    user_id = p.require_int("user_id", "PARTICIPANT_ID_INVALID")
    subject = _member_subject(core, user_id)
    if chat.type == "private":
        if user_id not in (chat.id, core.bot.id):
            raise bad_request("PARTICIPANT_ID_INVALID")
        return {"status": "member", "user": subject}
    core.check_bot_can_send(chat)
    return member_json(subject, chat.members.get(user_id))


@bot_method("getChatAdministrators")
async def get_chat_administrators(core: EmulatorCore, p: Params) -> list[dict[str, Any]]:
    chat = core.chat_for_bot(p.chat_id())
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    core.check_bot_can_send(chat)
    return [
        member_json(_member_subject(core, m.user_id), m)
        for m in chat.members.values()
        if m.is_admin
    ]


@bot_method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(core: EmulatorCore, p: Params) -> int:
    chat = core.chat_for_bot(p.chat_id())
    if chat.type == "private":
        return 2
    return sum(1 for m in chat.members.values() if m.is_present)


@bot_method("leaveChat")
async def leave_chat(core: EmulatorCore, p: Params) -> bool:
    chat = _group(core, p)
    old = core.bot_member(chat)
    if old is None or not old.is_present:
        raise bad_request("USER_NOT_PARTICIPANT")
    new = Member(core.bot.id, "left")
    chat.members[core.bot.id] = new
    core.member_update(chat, core.bot.id, core.bot_subject(), old, new, kind="my_chat_member")
    core.events.emit("member_changed", chat.id, user_id=core.bot.id, status="left")
    return True


# ------------------------------------------------------------------- members


def _require_right(core: EmulatorCore, chat: Chat, right: str, error: str) -> None:
    rights = core.bot_rights(chat)
    if rights is None or not getattr(rights, right):
        raise bad_request(error)


@bot_method("banChatMember", "kickChatMember")
async def ban_chat_member(core: EmulatorCore, p: Params) -> bool:
    chat = _group(core, p)
    _require_right(
        core, chat, "can_restrict_members", "not enough rights to restrict/unrestrict chat member"
    )
    user_id = p.require_int("user_id", "PARTICIPANT_ID_INVALID")
    subject = _member_subject(core, user_id)
    old = chat.members.get(user_id)
    if old is not None and old.status == "creator":
        raise bad_request("can't remove chat owner")
    new = Member(user_id, "kicked")
    chat.members[user_id] = new
    core.member_update(chat, core.bot.id, subject, old, new, kind="chat_member")
    core.events.emit("member_changed", chat.id, user_id=user_id, status="kicked")
    return True


@bot_method("unbanChatMember")
async def unban_chat_member(core: EmulatorCore, p: Params) -> bool:
    chat = _group(core, p)
    _require_right(
        core, chat, "can_restrict_members", "not enough rights to restrict/unrestrict chat member"
    )
    user_id = p.require_int("user_id", "PARTICIPANT_ID_INVALID")
    old = chat.members.get(user_id)
    if old is None or old.status != "kicked":
        if p.get_bool("only_if_banned") or (old is not None and old.is_present):
            return True
    new = Member(user_id, "left")
    chat.members[user_id] = new
    core.events.emit("member_changed", chat.id, user_id=user_id, status="left")
    return True


# -------------------------------------------------------------------- topics


def _forum(core: EmulatorCore, p: Params) -> Chat:
    chat = core.chat_for_bot(p.chat_id())
    core.check_bot_can_send(chat)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _topic(chat: Chat, p: Params) -> Topic:
    thread_id = p.get_int("message_thread_id")
    topic = chat.topics.get(thread_id) if thread_id is not None else None
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def _can_manage(core: EmulatorCore, chat: Chat, topic: Topic | None = None) -> None:
    rights = core.bot_rights(chat)
    own = topic is not None and topic.created_by == core.bot.id
    if not own and (rights is None or not rights.can_manage_topics):
        raise bad_request(
            "not enough rights to manage topics" if topic else "not enough rights to create a topic"
        )


def topic_service(
    core: EmulatorCore, chat: Chat, topic: Topic, actor: int, key: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Post a forum_topic_* service message in the topic; returns its user view."""
    msg = core.new_message(
        chat, actor, thread_id=topic.thread_id, is_topic_message=True, service={key: payload}
    )
    if actor == core.bot.id:
        core.publish_bot_message(msg)
        return core.user_view(msg)
    return core.publish_user_message(msg, service=True)


def create_topic(
    core: EmulatorCore,
    chat: Chat,
    actor: int,
    name: str,
    icon_color: int,
    icon_custom_emoji_id: str | None,
) -> Topic:
    """Create a topic: its id is the id of the forum_topic_created message."""
    created: dict[str, Any] = {"name": name, "icon_color": icon_color}
    if icon_custom_emoji_id:
        created["icon_custom_emoji_id"] = icon_custom_emoji_id
    thread_id = chat.next_message_id
    topic = Topic(thread_id, name, icon_color, icon_custom_emoji_id, created_by=actor)
    chat.topics[thread_id] = topic
    topic_service(core, chat, topic, actor, "forum_topic_created", created)
    core.events.emit("topic_created", chat.id, topic=topic_json(topic), by=actor)
    return topic


@bot_method("createForumTopic")
async def create_forum_topic(core: EmulatorCore, p: Params) -> dict[str, Any]:
    chat = _forum(core, p)
    _can_manage(core, chat)
    name = p.get_str("name", "") or ""
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
    color = p.get_int("icon_color", TOPIC_ICON_COLORS[0]) or TOPIC_ICON_COLORS[0]
    if color not in TOPIC_ICON_COLORS:
        raise bad_request("TOPIC_ICON_COLOR_INVALID")
    topic = create_topic(core, chat, core.bot.id, name, color, p.get_str("icon_custom_emoji_id"))
    return topic_json(topic)


@bot_method("editForumTopic")
async def edit_forum_topic(core: EmulatorCore, p: Params) -> bool:
    chat = _forum(core, p)
    topic = _topic(chat, p)
    _can_manage(core, chat, topic)
    edited: dict[str, Any] = {}
    name = p.get_str("name")
    if name is not None and name != topic.name:
        if not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        edited["name"] = topic.name = name
    emoji = p.get_str("icon_custom_emoji_id")
    if emoji is not None and (emoji or None) != topic.icon_custom_emoji_id:
        topic.icon_custom_emoji_id = emoji or None
        edited["icon_custom_emoji_id"] = emoji
    if not edited:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic_service(core, chat, topic, core.bot.id, "forum_topic_edited", edited)
    core.events.emit("topic_edited", chat.id, topic=topic_json(topic))
    return True


async def _set_closed(core: EmulatorCore, p: Params, closed: bool) -> bool:
    chat = _forum(core, p)
    topic = _topic(chat, p)
    _can_manage(core, chat, topic)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    key = "forum_topic_closed" if closed else "forum_topic_reopened"
    topic_service(core, chat, topic, core.bot.id, key, {})
    core.events.emit(
        "topic_closed" if closed else "topic_reopened", chat.id, topic=topic_json(topic)
    )
    return True


@bot_method("closeForumTopic")
async def close_forum_topic(core: EmulatorCore, p: Params) -> bool:
    return await _set_closed(core, p, True)


@bot_method("reopenForumTopic")
async def reopen_forum_topic(core: EmulatorCore, p: Params) -> bool:
    return await _set_closed(core, p, False)


@bot_method("deleteForumTopic")
async def delete_forum_topic(core: EmulatorCore, p: Params) -> bool:
    chat = _forum(core, p)
    topic = _topic(chat, p)
    rights = core.bot_rights(chat)
    if rights is None or not rights.can_delete_messages:
        raise bad_request("not enough rights to delete a topic")
    # Deleting a topic deletes all of its messages with it.
    for msg in chat.messages.values():
        if msg.thread_id == topic.thread_id:
            msg.deleted = True
    chat.pinned = [m for m in chat.pinned if not chat.messages[m].deleted]
    del chat.topics[topic.thread_id]
    core.events.emit("topic_deleted", chat.id, topic=topic_json(topic))
    return True


@bot_method("unpinAllForumTopicMessages")
async def unpin_all_forum_topic_messages(core: EmulatorCore, p: Params) -> bool:
    chat = _forum(core, p)
    topic = _topic(chat, p)
    chat.pinned = [m for m in chat.pinned if chat.messages[m].thread_id != topic.thread_id]
    return True


@bot_method("getForumTopicIconStickers")
async def get_forum_topic_icon_stickers(core: EmulatorCore, p: Params) -> list[Any]:
    return []


# -------------------------------------------------------------- invite links


def _link_json(core: EmulatorCore, link: dict[str, Any]) -> dict[str, Any]:
    data = {
        "invite_link": link["invite_link"],
        "creator": bot_user_json(core.bot),
        "creates_join_request": link["creates_join_request"],
        "is_primary": link["is_primary"],
        "is_revoked": link["is_revoked"],
    }
    for key in ("name", "expire_date", "member_limit"):
        if link.get(key) is not None:
            data[key] = link[key]
    return data


def _invite_chat(core: EmulatorCore, p: Params) -> Chat:
    chat = _group(core, p)
    _require_right(core, chat, "can_invite_users", "not enough rights to manage chat invite link")
    return chat


def new_invite_link(chat: Chat, *, primary: bool = False, **options: Any) -> dict[str, Any]:
    link: dict[str, Any] = {
        "invite_link": "https://t.me/+" + secrets.token_urlsafe(12),
        "creates_join_request": bool(options.get("creates_join_request")),
        "is_primary": primary,
        "is_revoked": False,
        "name": options.get("name"),
        "expire_date": options.get("expire_date"),
        "member_limit": options.get("member_limit"),
        "chat_id": chat.id,
        "created": now(),
        "joined": 0,
    }
    chat.invite_links[link["invite_link"]] = link
    return link


@bot_method("createChatInviteLink")
async def create_chat_invite_link(core: EmulatorCore, p: Params) -> dict[str, Any]:
    chat = _invite_chat(core, p)
    link = new_invite_link(
        chat,
        name=p.get_str("name"),
        expire_date=p.get_int("expire_date"),
        member_limit=p.get_int("member_limit"),
        creates_join_request=p.get_bool("creates_join_request"),
    )
    core.events.emit("invite_link_created", chat.id, invite_link=link["invite_link"])
    return _link_json(core, link)


@bot_method("exportChatInviteLink")
async def export_chat_invite_link(core: EmulatorCore, p: Params) -> str:
    chat = _invite_chat(core, p)
    for link in chat.invite_links.values():
        if link["is_primary"]:
            link["is_revoked"] = True
    return str(new_invite_link(chat, primary=True)["invite_link"])


@bot_method("revokeChatInviteLink")
async def revoke_chat_invite_link(core: EmulatorCore, p: Params) -> dict[str, Any]:
    chat = _invite_chat(core, p)
    link = chat.invite_links.get(p.get_str("invite_link", "") or "")
    if link is None:
        raise bad_request("INVITE_HASH_EXPIRED")
    link["is_revoked"] = True
    return _link_json(core, link)


@bot_method("editChatInviteLink")
async def edit_chat_invite_link(core: EmulatorCore, p: Params) -> dict[str, Any]:
    chat = _invite_chat(core, p)
    link = chat.invite_links.get(p.get_str("invite_link", "") or "")
    if link is None:
        raise bad_request("INVITE_HASH_EXPIRED")
    for key in ("name", "expire_date", "member_limit"):
        if p.has(key):
            link[key] = p.get_str(key) if key == "name" else p.get_int(key)
    if p.has("creates_join_request"):
        link["creates_join_request"] = p.get_bool("creates_join_request")
    return _link_json(core, link)
