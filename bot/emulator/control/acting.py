"""Acting as a user over HTTP: send, edit, delete, press, pay."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.emulator.actions import DocumentUpload
from bot.emulator.control.common import ControlBase, ok
from bot.emulator.errors import EmulatorError
from bot.emulator.params import Params, Upload


class ActingRoutes(ControlBase):
    """Everything a person does in a chat, for the sandbox page."""

    async def send_text(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return ok(
            self.actions.send_text(
                chat.id,
                self._sender(chat, body),
                str(body.get("text", "")),
                thread_id=self._opt_int(body, "thread_id"),
                reply_to=self._opt_int(body, "reply_to"),
            )
        )

    async def _form(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        if request.content_type == "application/json":
            return await self._body(request), {}
        params = await Params.from_request(request)
        return params.values, params.uploads

    @staticmethod
    def _upload(uploads: dict[str, Upload], *names: str) -> Upload:
        for name in names:
            if name in uploads:
                return uploads[name]
        if uploads:
            return next(iter(uploads.values()))
        raise EmulatorError(f"a multipart file field ({' or '.join(names)}) is required")

    async def send_photo(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        values, uploads = await self._form(request)
        upload = self._upload(uploads, "photo", "file")
        return ok(
            self.actions.send_photo(
                chat.id,
                self._sender(chat, values),
                upload.data,
                caption=values.get("caption"),
                thread_id=self._opt_int(values, "thread_id"),
                reply_to=self._opt_int(values, "reply_to"),
            )
        )

    async def send_album(self, request: web.Request) -> web.Response:
        """Several photos sent at once (multipart fields in order: photo0, photo1 …)."""
        chat = self._chat(request)
        values, uploads = await self._form(request)

        def position(name: str) -> tuple[int, str]:
            digits = "".join(ch for ch in name if ch.isdigit())
            return (int(digits) if digits else 0, name)

        photos = [uploads[name].data for name in sorted(uploads, key=position)]
        return ok(
            self.actions.send_media_group(
                chat.id,
                self._sender(chat, values),
                photos,
                caption=values.get("caption"),
                thread_id=self._opt_int(values, "thread_id"),
            )
        )

    async def send_document(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        values, uploads = await self._form(request)
        upload = self._upload(uploads, "document", "file")
        document = DocumentUpload(upload.data, upload.filename or "file.bin", upload.content_type)
        return ok(
            self.actions.send_document(
                chat.id,
                self._sender(chat, values),
                document,
                caption=values.get("caption"),
                thread_id=self._opt_int(values, "thread_id"),
                reply_to=self._opt_int(values, "reply_to"),
            )
        )

    async def send_contact(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return ok(
            self.actions.send_contact(
                chat.id,
                self._sender(chat, body),
                phone=body.get("phone") or body.get("phone_number"),
                first_name=body.get("first_name"),
                last_name=body.get("last_name"),
                contact_user_id=self._opt_int(body, "user_id"),
                thread_id=self._opt_int(body, "thread_id"),
            )
        )

    async def send_location(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        return ok(
            self.actions.send_location(
                chat.id,
                self._sender(chat, body),
                float(body["latitude"]),
                float(body["longitude"]),
                thread_id=self._opt_int(body, "thread_id"),
            )
        )

    async def edit(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        message_id = int(request.match_info["message_id"])
        return ok(
            self.actions.edit_text(
                chat.id, self._sender(chat, body), message_id, str(body.get("text", ""))
            )
        )

    async def delete(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        self.actions.delete(
            chat.id, self._sender(chat, body), int(request.match_info["message_id"])
        )
        return ok(True)

    async def press(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        result = await self.actions.press(
            chat.id,
            self._sender(chat, body),
            int(body["message_id"]),
            body.get("text"),
            callback_data=body.get("callback_data"),
            wait=bool(body.get("wait", True)),
            timeout=float(body.get("timeout", 5.0)),
        )
        return ok(result)

    async def press_key(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        location = None
        if body.get("latitude") is not None and body.get("longitude") is not None:
            location = (float(body["latitude"]), float(body["longitude"]))
        return ok(
            self.actions.press_key(
                chat.id, self._sender(chat, body), str(body["text"]), location=location
            )
        )

    async def pay(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        body = await self._body(request)
        outcome = await self.actions.pay(
            chat.id,
            self._sender(chat, body),
            int(body["message_id"]),
            timeout=float(body.get("timeout", 10.0)),
        )
        return ok(outcome.to_json())

    async def pay_link(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        outcome = await self.actions.pay_link(
            int(request.match_info["user_id"]),
            str(body["link"]),
            timeout=float(body.get("timeout", 10.0)),
        )
        return ok(outcome.to_json())
