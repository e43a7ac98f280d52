"""Pictures the page hands to the gate: a face photo as JPEG, a QR code read off a screen."""

from __future__ import annotations

import io

import aiohttp
from aiohttp import web

from bot.sandbox.api import ApiError

MAX_FACE_BYTES = 4 * 1024 * 1024
MAX_FACE_PIXELS = 24_000_000


def as_jpeg(data: bytes) -> bytes:
    """The image as JPEG (unchanged when it already is one)."""
    if data.startswith(b"\xff\xd8\xff"):
        return data
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.width * image.height > MAX_FACE_PIXELS:
                raise ApiError("bad_image")
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=92)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ApiError("bad_image") from None
    return buffer.getvalue()


async def image_upload(request: web.Request) -> bytes:
    if not request.content_type.startswith("multipart/"):
        raise ApiError("bad_image")
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, aiohttp.BodyPartReader) and part.filename is not None:
            data = bytes(await part.read())
            if not data or len(data) > MAX_FACE_BYTES:
                raise ApiError("bad_image")
            return data
    raise ApiError("bad_image")


async def burst_upload(request: web.Request, max_frames: int = 8) -> tuple[str, list[bytes]]:
    """The webcam's burst: the ``challenge`` token and the ``frame`` JPEGs, in order."""
    if not request.content_type.startswith("multipart/"):
        raise ApiError("bad_image")
    challenge, total = "", 0
    frames: list[bytes] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader):
            raise ApiError("bad_image")
        data = bytes(await part.read())
        total += len(data)
        if part.name == "challenge" and len(data) <= 64:
            challenge = data.decode("ascii", "replace")
        elif part.name == "frame" and data.startswith(b"\xff\xd8\xff") and len(frames) < max_frames:
            frames.append(data)
        else:
            raise ApiError("bad_image")
        if total > MAX_FACE_BYTES:
            raise ApiError("bad_image")
    if not challenge or not frames:
        raise ApiError("bad_image")
    return challenge, frames


def decode_qr(data: bytes) -> str | None:
    """The text of the QR code in an image, or None (OpenCV's detector)."""
    try:
        import cv2
        import numpy as np
    except ImportError:  # pragma: no cover - opencv comes with the face engine
        raise ApiError("qr_unavailable", 501) from None
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    bigger = None
    # OpenCV's classic detector misses about 3 in 1,000 of our passes' codes (it
    # depends on the random token's pattern); the ArUco-based one reads those.
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _points, _straight = detector.detectAndDecode(image)
        if not text:
            # A small QR in a big picture: try again enlarged.
            if bigger is None:
                bigger = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
            text, _points, _straight = detector.detectAndDecode(bigger)
        if text:
            return str(text)
    return None
