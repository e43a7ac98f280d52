"""User-side actions: what a person does in the Telegram app, turned into updates.

Both the in-process Python client (`client.py`) and the HTTP control API
(`control.py`) call these, so a browser sandbox and a pytest test drive the
bot through exactly the same code. Impossible actions raise `EmulatorError`
(a test bug or a UI mistake), never a Bot API error.
"""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import BotAPIError, EmulatorError
from bot.emulator.events import wait_result
from bot.emulator.formatting import auto_entities, utf16_len
from bot.emulator.methods.chats import create_topic
from bot.emulator.render import chat_json, member_json, sender_json, user_json
from bot.emulator.state import (
    TOPIC_ICON_COLORS,
    AdminRights,
    CallbackRecord,
    Chat,
    InvoiceData,
    Member,
    MemberStatus,
    Message,
    Payment,
    PreCheckoutRecord,
    User,
)


class EmulatorTimeout(EmulatorError, TimeoutError):
    """The bot did not react in time (no callback answer, no expected message)."""


@dataclass
class DocumentUpload:
    """A file a user sends as a document."""

    data: bytes
    filename: str = "file.bin"
    mime_type: str | None = None


@dataclass
class PaymentOutcome:
    """Result of a user paying an invoice."""

    ok: bool
    status: Literal["paid", "declined", "timeout"]
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None
    message: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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


class UserActions:
    """Everything an emulated person can do."""

    def __init__(self, core: EmulatorCore) -> None:
        self.core = core

    # -------------------------------------------------------------- helpers

    def _sender(self, chat: Chat, user_id: int) -> User:
        user = self.core.user(user_id)
        if user.deactivated:
            raise EmulatorError(f"user {user_id} deleted their account")
        if chat.type == "private":
            if chat.id != user_id:
                raise EmulatorError(f"user {user_id} cannot write in {chat.id}'s private chat")
            if user.blocked_bot:
                raise EmulatorError(f"user {user_id} has blocked the bot; unblock it first")
            user.started = True
            return user
        member = chat.members.get(user_id)
        if member is None or not member.is_present:
            raise EmulatorError(
                f"user {user_id} is not a member of {chat.id}; call group.add_member() first"
            )
        return user

    def _message(self, chat: Chat, message_id: int) -> Message:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise EmulatorError(f"message {message_id} not found in chat {chat.id}")
        return msg

    def _placement(
        self, chat: Chat, user: User, thread_id: int | None, reply_to: int | None
    ) -> tuple[int | None, bool, int | None]:
        target = self._message(chat, reply_to) if reply_to is not None else None
        member = chat.members.get(user.id)
        try:
            thread, is_topic = self.core.resolve_thread(
                chat, thread_id, target, sender_is_admin=bool(member and member.is_admin)
            )
        except BotAPIError as exc:
            raise EmulatorError(exc.description) from exc
        return thread, is_topic, reply_to

    def _post(
        self,
        chat_id: int,
        user_id: int,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        is_service: bool = False,
        **content: Any,
    ) -> dict[str, Any]:
        chat = self.core.chat(chat_id)
        user = self._sender(chat, user_id)
        thread, is_topic, reply = self._placement(chat, user, thread_id, reply_to)
        msg = self.core.new_message(
            chat, user.id, thread_id=thread, is_topic_message=is_topic, reply_to=reply, **content
        )
        return self.core.publish_user_message(msg, service=is_service)

    # ----------------------------------------------------------- messaging

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        text = text.strip()
        if not text:
            raise EmulatorError("message text is empty")
        if utf16_len(text) > 4096:
            raise EmulatorError("message is too long")
        return self._post(
            chat_id,
            user_id,
            thread_id=thread_id,
            reply_to=reply_to,
            text=text,
            entities=auto_entities(text) or None,
        )

    def _caption(self, caption: str | None) -> dict[str, Any]:
        if not caption or not caption.strip():
            return {}
        caption = caption.strip()
        return {"caption": caption, "caption_entities": auto_entities(caption) or None}

    def _files(self, action: str, producer: Any) -> Any:
        try:
            return producer()
        except BotAPIError as exc:
            raise EmulatorError(f"{action}: {exc.description}") from exc

    def send_photo(
        self,
        chat_id: int,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        self._sender(self.core.chat(chat_id), user_id)
        sizes = self._files("send_photo", lambda: self.core.files.add_photo(data))
        return self._post(
            chat_id,
            user_id,
            thread_id=thread_id,
            reply_to=reply_to,
            photo=[s.file_id for s in sizes],
            media_group_id=media_group_id,
            **self._caption(caption),
        )

    def send_document(
        self,
        chat_id: int,
        user_id: int,
        document: DocumentUpload,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        from bot.emulator.media import guess_mime

        self._sender(self.core.chat(chat_id), user_id)
        if not document.data:
            raise EmulatorError("send_document: file must be non-empty")
        stored = self.core.files.add(
            "document",
            document.data,
            file_name=document.filename,
            mime_type=guess_mime(document.filename, document.mime_type),
        )
        return self._post(
            chat_id,
            user_id,
            thread_id=thread_id,
            reply_to=reply_to,
            document=stored.file_id,
            media_group_id=media_group_id,
            **self._caption(caption),
        )

    def send_media_group(
        self,
        chat_id: int,
        user_id: int,
        photos: list[bytes],
        *,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> list[dict[str, Any]]:
        if not 2 <= len(photos) <= 10:
            raise EmulatorError("an album has 2 to 10 items")
        group_id = str(secrets.randbits(63))
        return [
            self.send_photo(
                chat_id,
                user_id,
                data,
                caption=caption if index == 0 else None,
                thread_id=thread_id,
                media_group_id=group_id,
            )
            for index, data in enumerate(photos)
        ]

    def send_contact(
        self,
        chat_id: int,
        user_id: int,
        *,
        phone: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact; by default the sender's own (as request_contact does)."""
        user = self.core.user(user_id)
        own = contact_user_id is None and first_name is None
        phone = phone or user.phone_number
        if not phone:
            raise EmulatorError("send_contact needs a phone number")
        if own:
            user.phone_number = phone
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or user.first_name,
        }
        if own and user.last_name:
            contact["last_name"] = user.last_name
        elif last_name:
            contact["last_name"] = last_name
        if own:
            contact["user_id"] = user.id
        elif contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._post(chat_id, user_id, thread_id=thread_id, contact=contact)

    def send_location(
        self,
        chat_id: int,
        user_id: int,
        latitude: float,
        longitude: float,
        *,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise EmulatorError("latitude/longitude out of range")
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self._post(chat_id, user_id, thread_id=thread_id, location=location)

    def edit_text(self, chat_id: int, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits one of their messages; the bot gets edited_message."""
        chat = self.core.chat(chat_id)
        msg = self._message(chat, message_id)
        if msg.from_id != user_id or msg.text is None:
            raise EmulatorError("users can only edit their own text messages")
        text = text.strip()
        if not text or text == msg.text:
            raise EmulatorError("new text is empty or unchanged")
        msg.text, msg.entities = text, auto_entities(text) or None
        msg.edit_date = max(msg.date, msg.edit_date or 0) + 1
        if self.core.bot_sees(chat, msg):
            self.core.updates.put("edited_message", self.core.bot_view(msg))
        self.core.emit_edit(msg, by="user")
        return self.core.user_view(msg)

    def delete(self, chat_id: int, user_id: int, message_id: int) -> None:
        """The user deletes a message (bots get no update for this, as in Telegram)."""
        chat = self.core.chat(chat_id)
        msg = self._message(chat, message_id)
        member = chat.members.get(user_id)
        if msg.from_id != user_id and chat.type != "private" and not (member and member.is_admin):
            raise EmulatorError("cannot delete someone else's message")
        self.core.delete_message(msg, by="user")

    # ------------------------------------------------------------- buttons

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
    ) -> dict[str, Any] | None:
        """Press a button of a message's keyboard.

        Callback buttons return the bot's answerCallbackQuery parameters (or
        None with ``wait=False``); URL buttons return ``{"url": ...}``; a pay
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
                chat, user_id, msg, str(button["callback_data"]), wait, timeout
            )
        if button.get("pay"):
            outcome = await self.pay(chat_id, user_id, message_id, timeout=max(timeout, 10.0))
            return outcome.to_json()
        for kind in ("url", "web_app", "login_url", "copy_text"):
            if kind in button:
                return {kind: button[kind]}
        raise EmulatorError(f"pressing a {sorted(button)} button is not emulated")

    async def _callback(
        self, chat: Chat, user_id: int, msg: Message, data: str, wait: bool, timeout: float
    ) -> dict[str, Any] | None:
        user = self._sender(chat, user_id)
        query_id = str(secrets.randbits(63))
        self.core.world.callbacks[query_id] = CallbackRecord(
            query_id, user.id, chat.id, msg.message_id, data
        )
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

    # ------------------------------------------------------------ payments

    async def pay(
        self,
        chat_id: int,
        user_id: int,
        message_id: int | None = None,
        *,
        invoice: InvoiceData | None = None,
        timeout: float = 10.0,
    ) -> PaymentOutcome:
        """Pay an invoice message (or an invoice link's invoice) the Telegram way.

        Sends pre_checkout_query, waits up to `timeout` (Telegram: 10 s) for
        answerPreCheckoutQuery, and on ok posts a successful_payment message.
        """
        chat = self.core.chat(chat_id)
        user = self._sender(chat, user_id)
        thread_id = None
        if invoice is None:
            if message_id is None:
                raise EmulatorError("pay() needs an invoice message")
            msg = self._message(chat, message_id)
            if msg.invoice is None:
                raise EmulatorError(f"message {message_id} is not an invoice")
            invoice, thread_id = msg.invoice, msg.thread_id
        query_id = str(secrets.randbits(63))
        self.core.world.pre_checkouts[query_id] = PreCheckoutRecord(
            query_id, user.id, invoice, chat.id
        )
        payload: dict[str, Any] = {
            "id": query_id,
            "from": user_json(user),
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
        }
        order_info = self._order_info(user, invoice)
        if order_info:
            payload["order_info"] = order_info
        future = self.core.expect_answer(query_id)
        if self.core.updates.put("pre_checkout_query", payload) is None:
            self.core.answer_waiters.pop(query_id, None)
            raise EmulatorError("the bot does not receive pre_checkout_query updates")
        self.core.events.emit(
            "pre_checkout_query",
            chat.id,
            query_id=query_id,
            user_id=user.id,
            currency=invoice.currency,
            total_amount=invoice.total_amount,
            invoice_payload=invoice.payload,
        )
        try:
            answer = await wait_result(future, timeout)
        except TimeoutError:
            return PaymentOutcome(False, "timeout", "the bot did not answer the pre-checkout query")
        finally:
            self.core.answer_waiters.pop(query_id, None)
        if not answer["ok"]:
            return PaymentOutcome(False, "declined", answer.get("error_message"))
        charge_id = "stxemu" + secrets.token_hex(24)
        provider_charge = "" if invoice.currency == "XTR" else "emu_" + secrets.token_hex(12)
        successful: dict[str, Any] = {
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": provider_charge,
        }
        if order_info:
            successful["order_info"] = order_info
        view = self._post(
            chat.id, user.id, thread_id=thread_id, is_service=True, successful_payment=successful
        )
        self.core.world.payments[charge_id] = Payment(
            user.id,
            chat.id,
            invoice.currency,
            invoice.total_amount,
            invoice.payload,
            charge_id,
            provider_charge,
        )
        self.core.events.emit("payment", chat.id, user_id=user.id, **successful)
        return PaymentOutcome(True, "paid", None, charge_id, view)

    async def pay_link(self, user_id: int, link: str, *, timeout: float = 10.0) -> PaymentOutcome:
        """Pay an invoice link from createInvoiceLink inside the user's bot chat."""
        slug = link.rsplit("$", 1)[-1]
        invoice = self.core.world.invoice_links.get(slug)
        if invoice is None:
            raise EmulatorError(f"unknown invoice link {link!r}")
        return await self.pay(user_id, user_id, invoice=invoice, timeout=timeout)

    @staticmethod
    def _order_info(user: User, invoice: InvoiceData) -> dict[str, Any]:
        info: dict[str, Any] = {}
        if invoice.options.get("need_name") in (True, "true"):
            info["name"] = user.full_name
        if invoice.options.get("need_phone_number") in (True, "true"):
            info["phone_number"] = user.phone_number or "+10000000000"
        if invoice.options.get("need_email") in (True, "true"):
            info["email"] = f"user{user.id}@example.com"
        return info

    # ---------------------------------------------------------- membership

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
