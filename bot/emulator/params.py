"""Parse Bot API method parameters from any of the encodings Telegram accepts.

Telegram takes query strings, ``application/x-www-form-urlencoded``,
``application/json`` and ``multipart/form-data``. In the form encodings every
value is a string and structured values (reply_markup, media, prices...) are
JSON strings; aiogram always sends multipart forms this way. `Params` hides
the difference behind typed getters that coerce like Telegram does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.multipart import BodyPartReader, MultipartReader, MultipartResponseWrapper

from bot.emulator.errors import bad_request


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


# A value of an InputFile parameter: new bytes, or a file_id / URL string.
FileRef = Upload | str


async def read_multipart(
    reader: MultipartReader | MultipartResponseWrapper,
) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Split a multipart body into plain fields and file uploads."""
    values: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read()
        if part.filename is not None:
            uploads[part.name] = Upload(
                bytes(data), part.filename, part.headers.get("Content-Type")
            )
        else:
            values[part.name] = data.decode(part.get_charset(default="utf-8"))
    return values, uploads


class Params:
    """Method parameters with Telegram-like coercion."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.body_exists:
            return cls(values)
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            values.update(body)
        elif content_type == "multipart/form-data":
            fields, uploads = await read_multipart(await request.multipart())
            values.update(fields)
        else:
            values.update(await request.post())
        return cls(values, uploads)

    # ------------------------------------------------------------------ getters

    def has(self, name: str) -> bool:
        return name in self.uploads or self.values.get(name) not in (None, "")

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def require_str(self, name: str, missing: str | None = None) -> str:
        value = self.get_str(name)
        if value is None or value == "":
            raise bad_request(missing or f"{name} is empty")
        return value

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"{name} is invalid") from exc

    def require_int(self, name: str, missing: str | None = None) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(missing or f"{name} is empty")
        return value

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"{name} is invalid") from exc

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1", "yes")

    def get_json(self, name: str) -> Any:
        """A structured parameter, given natively (JSON body) or as a JSON string."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                if name == "reply_markup":
                    raise bad_request("can't parse reply keyboard markup JSON object") from exc
                raise bad_request(f"can't parse {name} JSON object") from exc
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError as exc:
            raise bad_request("chat not found") from exc

    def file(self, name: str) -> FileRef | None:
        """An InputFile parameter: an upload (directly or via attach://) or a string."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        if value is None or value == "":
            return None
        return self.resolve_file(str(value))

    def resolve_file(self, value: str) -> FileRef:
        if value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return upload
        return value

    def summary(self) -> dict[str, Any]:
        """Parameters for logs/events, with uploads reduced to their size."""
        summary: dict[str, Any] = dict(self.values)
        for name, upload in self.uploads.items():
            summary[name] = f"<upload {upload.filename!s} {len(upload.data)} bytes>"
        return summary
