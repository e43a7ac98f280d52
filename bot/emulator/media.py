"""File storage: uploads become file_ids; photos get real PhotoSize variants.

Telegram turns an uploaded photo into several JPEG sizes (thumbnail up to the
original) and bots usually pick ``message.photo[-1]``; we do the same with
Pillow so widths/heights are real and every size is downloadable. The largest
size keeps the uploaded bytes unchanged so tests can compare a download with
what was sent.
"""

from __future__ import annotations

import io
import mimetypes
import secrets

from PIL import Image, UnidentifiedImageError

from bot.emulator.errors import bad_request
from bot.emulator.state import FileKind, StoredFile, World

# Bot API download limit for getFile.
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
# Telegram's photo size boxes ("s", "m", "x"); larger originals are kept as is.
PHOTO_BOXES = (90, 320, 800)

_ID_PREFIX: dict[str, str] = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FOLDER: dict[str, str] = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "animation": "animations",
    "audio": "music",
    "voice": "voice",
    "sticker": "stickers",
}


def guess_mime(filename: str | None, declared: str | None) -> str | None:
    """Prefer a meaningful declared type; otherwise guess from the name like Telegram."""
    if declared and declared != "application/octet-stream":
        return declared
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return declared


class FileStore:
    """Creates and looks up StoredFile records in the world."""

    def __init__(self, world: World) -> None:
        self.world = world

    def add(
        self,
        kind: FileKind,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
        extension: str | None = None,
    ) -> StoredFile:
        number = self.world.next_file_number
        self.world.next_file_number += 1
        if extension is None:
            extension = _extension(file_name, mime_type)
        stored = StoredFile(
            file_id=_ID_PREFIX[kind] + secrets.token_urlsafe(42),
            file_unique_id="AQAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=data,
            file_path=f"{_FOLDER[kind]}/file_{number}{extension}",
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
            duration=duration,
        )
        self.world.files[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        stored = self.world.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def by_path(self, file_path: str) -> StoredFile | None:
        for stored in self.world.files.values():
            if stored.file_path == file_path:
                return stored
        return None

    def add_photo(self, data: bytes) -> list[StoredFile]:
        """Store a photo as PhotoSizes, smallest first; reject non-images like Telegram."""
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise bad_request("IMAGE_PROCESS_FAILED") from exc
        width, height = image.size
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        sizes: list[StoredFile] = []
        for box in PHOTO_BOXES:
            if max(width, height) <= box:
                break
            thumb = image.convert("RGB")
            thumb.thumbnail((box, box))
            buffer = io.BytesIO()
            thumb.save(buffer, format="JPEG", quality=85)
            sizes.append(
                self.add(
                    "photo",
                    buffer.getvalue(),
                    mime_type="image/jpeg",
                    width=thumb.width,
                    height=thumb.height,
                    extension=".jpg",
                )
            )
        sizes.append(
            self.add(
                "photo", data, mime_type="image/jpeg", width=width, height=height, extension=".jpg"
            )
        )
        photo_set = [size.file_id for size in sizes]
        for size in sizes:
            size.photo_set = photo_set
        return sizes

    def photo_group(self, file_id: str) -> list[str]:
        """All PhotoSize file ids of the photo that ``file_id`` belongs to."""
        stored = self.get(file_id)
        if stored.kind != "photo":
            raise bad_request(f"can't use file of type {stored.kind.capitalize()} as Photo")
        return list(stored.photo_set or [stored.file_id])


def _extension(file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    if mime_type:
        return mimetypes.guess_extension(mime_type) or ""
    return ""
