"""Who is where: blocking the bot, joining and leaving groups, the bot's own status, topics."""

from __future__ import annotations

from typing import Any

from bot.emulator.actions.base import ActionBase
from bot.emulator.errors import EmulatorError
from bot.emulator.methods.chats import create_topic
from bot.emulator.render import chat_json, member_json, sender_json, user_json
from bot.emulator.state import TOPIC_ICON_COLORS, AdminRights, Member, MemberStatus


class MembershipActions(ActionBase):
    """A user (or the test) changes memberships; the bot gets the member updates."""

    def block_bot(self, user_id: int) -> None:
        self._set_blocked(user_id, True)

    def unblock_bot(self, user_id: int) -> None:
        self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> None:
        user = self.core.user(user_id)
        if user.blocked_bot == blocked:
            return
        user.blocked_bot = blocked
        chat = self.core.world.chats[user_id]
        member, kicked = Member(self.core.bot.id, "member"), Member(self.core.bot.id, "kicked")
        old, new = (member, kicked) if blocked else (kicked, member)
        self.core.member_update(
            chat, user_id, self.core.bot_subject(), old, new, kind="my_chat_member"
        )
        self.core.events.emit(
            "user_blocked" if blocked else "user_unblocked", user_id, user_id=user_id
        )

    def delete_account(self, user_id: int) -> None:
        user = self.core.user(user_id)
        user.deactivated = True
        self.core.events.emit("user_deactivated", user_id, user_id=user_id)

    def add_member(
        self,
        chat_id: int,
        user_id: int,
        status: MemberStatus = "member",
        rights: dict[str, bool] | None = None,
        custom_title: str | None = None,
    ) -> Member:
        """Set up membership silently (no updates): test fixtures, not a join."""
        chat = self.core.chat(chat_id)
        if user_id != self.core.bot.id:
            self.core.user(user_id)
        admin_rights = AdminRights.from_dict(rights) if status == "administrator" else None
        member = Member(user_id, status, admin_rights, custom_title)
        chat.members[user_id] = member
        self.core.events.emit("member_changed", chat_id, user_id=user_id, status=status)
        return member

    def join(self, chat_id: int, user_id: int, invite_link: str | None = None) -> dict[str, Any]:
        """A user joins a group (optionally via an invite link) as Telegram shows it."""
        chat = self.core.chat(chat_id)
        user = self.core.user(user_id)
        link_info = None
        if invite_link is not None:
            link_info = chat.invite_links.get(invite_link)
            if link_info is None or link_info["is_revoked"]:
                raise EmulatorError("invite link is invalid or revoked")
            limit = link_info.get("member_limit")
            if limit and link_info["joined"] >= limit:
                raise EmulatorError("invite link member limit reached")
            link_info["joined"] += 1
        old = chat.members.get(user_id)
        if old is not None and old.is_present:
            raise EmulatorError(f"user {user_id} is already in the chat")
        if old is not None and old.status == "kicked":
            raise EmulatorError(f"user {user_id} is banned from the chat")
        new = Member(user_id, "member")
        chat.members[user_id] = new
        self.core.member_update(chat, user_id, user_json(user), old, new, kind="chat_member")
        self.core.events.emit("member_changed", chat_id, user_id=user_id, status="member")
        return self._post(
            chat_id, user_id, is_service=True, service={"new_chat_members": [user_json(user)]}
        )

    def leave(self, chat_id: int, user_id: int) -> dict[str, Any]:
        chat = self.core.chat(chat_id)
        user = self.core.user(user_id)
        old = chat.members.get(user_id)
        if old is None or not old.is_present:
            raise EmulatorError(f"user {user_id} is not in the chat")
        view = self._post(
            chat_id, user_id, is_service=True, service={"left_chat_member": user_json(user)}
        )
        new = Member(user_id, "left")
        chat.members[user_id] = new
        self.core.member_update(chat, user_id, user_json(user), old, new, kind="chat_member")
        self.core.events.emit("member_changed", chat_id, user_id=user_id, status="left")
        return view

    def set_bot_membership(
        self,
        chat_id: int,
        status: MemberStatus,
        rights: dict[str, bool] | None = None,
        *,
        by_user: int | None = None,
    ) -> None:
        """Add/promote/demote/remove the bot in a group; the bot gets my_chat_member."""
        chat = self.core.chat(chat_id)
        old = self.core.bot_member(chat)
        admin_rights = AdminRights.from_dict(rights) if status == "administrator" else None
        new = Member(self.core.bot.id, status, admin_rights)
        chat.members[self.core.bot.id] = new
        actor = by_user or next(
            (m.user_id for m in chat.members.values() if m.status == "creator"), self.core.bot.id
        )
        self.core.member_update(
            chat, actor, self.core.bot_subject(), old, new, kind="my_chat_member"
        )
        self.core.events.emit("member_changed", chat_id, user_id=self.core.bot.id, status=status)

    def create_topic(
        self, chat_id: int, user_id: int, name: str, icon_color: int = TOPIC_ICON_COLORS[0]
    ) -> dict[str, Any]:
        """A (admin) user creates a forum topic; the bot gets the service message."""
        chat = self.core.chat(chat_id)
        user = self._sender(chat, user_id)
        if not chat.is_forum:
            raise EmulatorError(f"chat {chat_id} is not a forum")
        member = chat.members.get(user.id)
        if member is None or not member.is_admin:
            raise EmulatorError("only admins create topics in this emulator")
        topic = create_topic(self.core, chat, user.id, name, icon_color, None)
        return {
            "message_thread_id": topic.thread_id,
            "name": topic.name,
            "icon_color": topic.icon_color,
        }

    def describe_member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        chat = self.core.chat(chat_id)
        subject = sender_json(self.core.world, user_id) or {}
        return member_json(subject, chat.members.get(user_id))

    def describe_chat(self, chat_id: int) -> dict[str, Any]:
        return chat_json(self.core.world, self.core.chat(chat_id))
