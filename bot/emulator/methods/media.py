"""Media methods: sendPhoto, sendDocument, sendVideo, sendMediaGroup, getFile.

A file parameter is new bytes (multipart upload, possibly via ``attach://``),
an existing file_id (reused, type-checked like Telegram), or an HTTP URL,
which we refuse because the emulator has no internet access.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.media import MAX_DOWNLOAD_SIZE, guess_mime
from bot.emulator.methods.outgoing import deliver, outgoing, parse_caption, parse_markup
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import FileRef, Params, Upload
from bot.emulator.render import file_json
from bot.emulator.state import FileKind, StoredFile


def _refuse_url(ref: str) -> None:
    if ref.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")


def _existing(core: EmulatorCore, ref: str, kind: FileKind) -> StoredFile:
    _refuse_url(ref)
    stored = core.files.get(ref)
    if stored.kind != kind:
        raise bad_request(
            f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
        )
    return stored


def _non_empty(upload: Upload) -> Upload:
    if not upload.data:
        raise bad_request("file must be non-empty")
    return upload


def photo_ids(core: EmulatorCore, ref: FileRef | None) -> list[str]:
    """PhotoSize file ids for a photo parameter."""
    if ref is None:
        raise bad_request("there is no photo in the request")
    if isinstance(ref, Upload):
        return [f.file_id for f in core.files.add_photo(_non_empty(ref).data)]
    _refuse_url(ref)
    return core.files.photo_group(ref)


def document_id(core: EmulatorCore, ref: FileRef | None) -> str:
    if ref is None:
        raise bad_request("there is no document in the request")
    if isinstance(ref, Upload):
        upload = _non_empty(ref)
        stored = core.files.add(
            "document",
            upload.data,
            file_name=upload.filename,
            mime_type=guess_mime(upload.filename, upload.content_type),
        )
        return stored.file_id
    return _existing(core, ref, "document").file_id


def video_id(core: EmulatorCore, ref: FileRef | None, meta: dict[str, Any]) -> str:
    if ref is None:
        raise bad_request("there is no video in the request")
    if isinstance(ref, Upload):
        upload = _non_empty(ref)
        # No ffmpeg here: dimensions/duration come from the request, as a bot
        # would pass them, defaulting to 0 like Telegram for unknown streams.
        stored = core.files.add(
            "video",
            upload.data,
            file_name=upload.filename,
            mime_type=guess_mime(upload.filename, upload.content_type) or "video/mp4",
            width=_int(meta.get("width")),
            height=_int(meta.get("height")),
            duration=_int(meta.get("duration")),
        )
        return stored.file_id
    return _existing(core, ref, "video").file_id


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@bot_method("sendPhoto")
async def send_photo(core: EmulatorCore, p: Params) -> dict[str, Any]:
    caption, entities = parse_caption(p)
    markup = parse_markup(p)
    out = outgoing(core, p)
    photo = photo_ids(core, p.file("photo"))
    msg = deliver(
        core, out, photo=photo, caption=caption, caption_entities=entities, reply_markup=markup
    )
    return core.publish_bot_message(msg)


@bot_method("sendDocument")
async def send_document(core: EmulatorCore, p: Params) -> dict[str, Any]:
    caption, entities = parse_caption(p)
    markup = parse_markup(p)
    out = outgoing(core, p)
    document = document_id(core, p.file("document"))
    msg = deliver(
        core,
        out,
        document=document,
        caption=caption,
        caption_entities=entities,
        reply_markup=markup,
    )
    return core.publish_bot_message(msg)


@bot_method("sendVideo")
async def send_video(core: EmulatorCore, p: Params) -> dict[str, Any]:
    caption, entities = parse_caption(p)
    markup = parse_markup(p)
    out = outgoing(core, p)
    meta = {k: p.get_int(k) for k in ("width", "height", "duration")}
    video = video_id(core, p.file("video"), meta)
    msg = deliver(
        core, out, video=video, caption=caption, caption_entities=entities, reply_markup=markup
    )
    return core.publish_bot_message(msg)


@bot_method("sendMediaGroup")
async def send_media_group(core: EmulatorCore, p: Params) -> list[dict[str, Any]]:
    media = p.get_json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the group")
    if not all(isinstance(item, dict) for item in media):
        raise bad_request("can't parse InputMedia JSON object")
    kinds = {item.get("type") for item in media}
    if not kinds <= {"photo", "video", "document"}:
        raise bad_request("can't parse InputMedia JSON object")
    if "document" in kinds and len(kinds) > 1:
        raise bad_request("documents can't be mixed with other media types")
    out = outgoing(core, p, count=len(media))
    # Resolve every file before creating messages so a bad item sends nothing.
    prepared: list[dict[str, Any]] = []
    for item in media:
        ref = p.resolve_file(str(item.get("media", "")))
        sub = Params({**item, "caption_entities": item.get("caption_entities")}, {})
        caption, entities = parse_caption(sub, parse_mode=item.get("parse_mode"))
        content: dict[str, Any] = {"caption": caption, "caption_entities": entities}
        if item["type"] == "photo":
            content["photo"] = photo_ids(core, ref)
        elif item["type"] == "video":
            content["video"] = video_id(core, ref, item)
        else:
            content["document"] = document_id(core, ref)
        prepared.append(content)
    group_id = str(secrets.randbits(63))
    results = []
    for content in prepared:
        msg = deliver(core, out, media_group_id=group_id, **content)
        results.append(core.publish_bot_message(msg))
    return results


@bot_method("getFile")
async def get_file(core: EmulatorCore, p: Params) -> dict[str, Any]:
    file_id = p.require_str("file_id", "invalid file_id")
    stored = core.world.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD_SIZE:
        raise bad_request("file is too big")
    return file_json(stored)
