"""Sending, editing and deleting messages as a user."""

from __future__ import annotations

import secrets
from typing import Any

from bot.emulator.actions.base import ActionBase, DocumentUpload
from bot.emulator.errors import BotAPIError, EmulatorError
from bot.emulator.formatting import auto_entities, utf16_len


class MessagingActions(ActionBase):
    """A user writes: text, photos, documents, albums, contacts, locations; edits; deletes."""

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
